# Shared by tests/bench/bench_*.sh: paired timing of our run against the incumbent's.
now_us() { date +%s%6N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# paired N ARG: runs `ours ARG` and `theirs ARG` N times, paired and interleaved (so machine noise
# hits both alike); sets o and c to their median times in microseconds. Uses $T for scratch.
paired() {
  local n=$1 arg=$2 t0 t1 t2
  : > "$T/ours"; : > "$T/theirs"
  for _ in $(seq 1 "$n"); do
    t0=$(now_us); ours "$arg"; t1=$(now_us); theirs "$arg"; t2=$(now_us)
    echo $((t1 - t0)) >> "$T/ours"; echo $((t2 - t1)) >> "$T/theirs"
  done
  o=$(median < "$T/ours"); c=$(median < "$T/theirs")
}
