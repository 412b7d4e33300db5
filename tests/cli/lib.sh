# Helpers the CLI test scripts share (sourced after WORK is set).
fails() {  # fails <pattern> <command...>: must exit non-zero with <pattern> on stderr
  local pattern=$1; shift
  if "$@" >"$WORK/out" 2>"$WORK/err"; then echo "expected failure: $*"; exit 1; fi
  grep -q -- "$pattern" "$WORK/err" || { echo "missing '$pattern' in: $(cat "$WORK/err")"; exit 1; }
}
flip_byte() {  # flip_byte <file> <offset>: complement one byte (always a change)
  local old
  old=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  printf "\\$(printf '%03o' $((255 - old)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
