# bash completion for atscheck. Commands and options are read from atscheck's own --help, so
# a new command or option completes without editing this file.
_atscheck_cmds() {
  "${1:-atscheck}" --help 2>/dev/null | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p'
}

_atscheck_opts() { # binary command [subcommand]
  "$1" "$2" --help 2>/dev/null | grep -oE '(^|[ ,[])--[a-z0-9][a-z0-9.-]*' | sed 's/^[ ,[]*//' | sort -u
}

_atscheck() {
  local cur prev bin cmd i
  COMPREPLY=()
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD - 1]}
  bin=${COMP_WORDS[0]}
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in -*) ;; *) cmd=${COMP_WORDS[i]}; break ;; esac
  done
  case $prev in
    --format)
      local f="text json prometheus junit nagios"
      [ "$cmd" = report ] && f="$f markdown html"
      mapfile -t COMPREPLY < <(compgen -W "$f" -- "$cur"); return ;;
    --region)
      mapfile -t COMPREPLY < <(compgen -W "na eu fe" -- "$cur"); return ;;
    --root|--capath|--out|--dir|--ats-roots-lab|--make-ats-roots-lab)
      mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
    --bundle|--output|--sdk-config|--libcurl|--baseline|--devices|--cacert|--cert|--key|--chain|--config|--anchor|--ids|--dak-cert|--dak-key|--save-chain|--ocsp-response)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
    --at)
      mapfile -t COMPREPLY < <(compgen -W "now $(date -u +%Y-%m-%d 2>/dev/null)" -- "$cur"); return ;;
  esac
  if [ -z "$cmd" ]; then
    if [[ $cur == -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W "--help --version" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W "$(_atscheck_cmds "$bin")" -- "$cur")
    fi
    return
  fi
  if [ "$cmd" = report ] && [ "$COMP_CWORD" -eq $((i + 1)) ]; then
    mapfile -t COMPREPLY < <(compgen -W "merge render" -- "$cur")
    return
  fi
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_atscheck_opts "$bin" "$cmd")" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
}
complete -F _atscheck atscheck
