#!/bin/sh
# venvshim-shim: this `uv` is venvshim's shim, written by `venvshim install`. Do not edit:
# run `venvshim install` again instead. It runs the real uv at once unless the subcommand may
# replace an environment or delete files in one; only then does it start venvshim (Python).
# The @...@ words are filled in at install from venvshim's own tables (intercept/frontend.py).
if [ "${VENVSHIM_GUARD-}" = "$$" ]; then
  echo "error: venvshim: the uv this shim found on PATH is another venvshim shim (it would call itself)" >&2
  echo "hint: set VENVSHIM_REAL_UV to the real uv binary, then run 'venvshim doctor'" >&2
  exit 2
fi
vs_real=${VENVSHIM_REAL_UV-}
if [ -n "$vs_real" ]; then
  if [ -d "$vs_real" ] || ! [ -f "$vs_real" ] || ! [ -x "$vs_real" ] || [ "$vs_real" -ef "$0" ]; then
    printf 'error: venvshim: VENVSHIM_REAL_UV names `%s`, which is not the real uv (not an executable file, or this shim)\n' "$vs_real" >&2
    echo "hint: point VENVSHIM_REAL_UV at the real uv binary, or unset it; 'venvshim doctor' shows which uv it finds" >&2
    exit 2
  fi
else
  set -f
  vs_ifs=$IFS
  IFS=:
  for vs_d in $PATH; do
    [ -n "$vs_d" ] || vs_d=.
    [ -f "$vs_d/uv" ] && [ -x "$vs_d/uv" ] || continue
    [ "$vs_d/uv" -ef "$0" ] && continue
    [ -e "$vs_d/@SHIM_DIR_MARKER@" ] && continue
    vs_real=$vs_d/uv
    break
  done
  IFS=$vs_ifs
  set +f
  if [ -z "$vs_real" ]; then
    echo "error: venvshim: cannot find the real uv on PATH (only this shim is there)" >&2
    echo "hint: install uv (https://docs.astral.sh/uv/), or set VENVSHIM_REAL_UV to its path" >&2
    exit 2
  fi
fi
vs_py=0
if [ "${VENVSHIM_DISABLE-}" != 1 ]; then
  vs_skip=0
  vs_cmd=
  for vs_a in "$@"; do
    if [ "$vs_skip" = 1 ]; then vs_skip=0; continue; fi
    case $vs_a in
      @GLOBAL_VALUE@) vs_skip=1 ;;
      --) break ;;
      -*) ;;
      *)
        # `tool` and `pip`: the next word says whether files in an environment may go.
        case $vs_cmd in
@NESTED_CASES@
        esac
        case $vs_a in
          @DECIDED@) vs_py=1; break ;;
          @NESTED@) vs_cmd=$vs_a ;;
          @PASSED@) break ;;
          *) vs_py=1; break ;;
        esac ;;
    esac
  done
fi
if [ "$vs_py" = 1 ]; then
  # A cached "keep" verdict for this directory and argv: no need to start Python (fastpath.py).
  # Sourced only when it and the state root are the user's own, and it is not a link.
  vs_home=${VENVSHIM_HOME:-@STATE_HOME@}
  vs_file="$vs_home/fast$PWD/@FAST_FILE@"
  if [ -f "$vs_file" ] && [ -O "$vs_file" ] && ! [ -h "$vs_file" ] && [ -O "$vs_home" ]; then
    vs_fast=0
    vs_ifs=$IFS
    IFS='@SEP@'
    vs_argv="$*"
    IFS=$vs_ifs
    . "$vs_file"
    [ "$vs_fast" = 1 ] && vs_py=0
  fi
fi
VENVSHIM_GUARD=$$
export VENVSHIM_GUARD
if [ "$vs_py" = 0 ]; then
  exec "$vs_real" "$@"
fi
exec @PYTHON@ -I -S -c @BOOT@ "$vs_real" "$0" "$PWD" "$@"
