#!/bin/sh
# venvshim installer for Linux and macOS (POSIX sh, non-interactive, safe to run again).
#
#   sh install.sh [--shim-dir DIR] [--no-modify-path] [--no-scheduler] [--uninstall]
#
# 1. installs venvshim with `uv tool install` (from this checkout when run inside one, else
#    $VENVSHIM_INSTALL_SOURCE, else the `venvshim` package);
# 2. writes the uv shim into a directory of its own (default
#    ${XDG_DATA_HOME:-~/.local/share}/venvshim/bin), never uv's own directory;
# 3. unless --no-modify-path: hooks every shell it finds (bash, zsh, fish, sh via ~/.profile)
#    with a block between `# >>> venvshim >>>` and `# <<< venvshim <<<`, and sets up periodic gc
#    (systemd user timer / launchd agent) unless --no-scheduler.
# --uninstall reverses all of it: rc files get back the exact bytes they had.
# Everything but fetching the package is done by `venvshim install` / `venvshim uninstall`.
set -eu

say() { printf '%s\n' "$*"; }
die() {
  printf 'error: %s\n' "$1" >&2
  if [ -n "${2-}" ]; then printf 'hint: %s\n' "$2" >&2; fi
  exit 1
}

usage() {
  sed -n '2,15s/^# \{0,1\}//p' "$0" 2>/dev/null || true
}

shim_dir=
modify_path=1
scheduler=1
uninstall=0
while [ $# -gt 0 ]; do
  case $1 in
    --shim-dir) [ $# -ge 2 ] || die "--shim-dir needs a directory"; shim_dir=$2; shift ;;
    --shim-dir=*) shim_dir=${1#--shim-dir=} ;;
    --no-modify-path) modify_path=0 ;;
    --no-scheduler) scheduler=0 ;;
    --uninstall) uninstall=1 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1" "sh install.sh --help lists the options" ;;
  esac
  shift
done
[ -n "$shim_dir" ] || shim_dir=${XDG_DATA_HOME:-${HOME:?HOME is not set}/.local/share}/venvshim/bin

if ! command -v uv >/dev/null 2>&1; then
  die "uv is not on PATH; venvshim is a shim in front of uv and needs it" \
    "install uv first (curl -LsSf https://astral.sh/uv/install.sh | sh, see https://docs.astral.sh/uv/getting-started/installation/), open a new shell, then run this again"
fi
if ! uv --version >/dev/null 2>&1; then
  die "\`uv --version\` failed: the uv on PATH ($(command -v uv)) does not work" \
    "reinstall uv (https://docs.astral.sh/uv/getting-started/installation/), or run \`venvshim doctor\`"
fi

tool_bin=$(uv tool dir --bin 2>/dev/null) || tool_bin=${XDG_BIN_HOME:-$HOME/.local/bin}
venvshim=$tool_bin/venvshim

if [ "$uninstall" = 1 ]; then
  if [ ! -x "$venvshim" ]; then
    venvshim=$(command -v venvshim 2>/dev/null) ||
      die "venvshim is not installed (no $tool_bin/venvshim)" "nothing to uninstall"
  fi
  "$venvshim" uninstall --shim-dir "$shim_dir"
  uv tool uninstall venvshim >/dev/null 2>&1 || true
  say "removed venvshim; open a new terminal so that PATH no longer names the shim"
  exit 0
fi

# Where to install from: this checkout, when the script sits in one (not under `curl | sh`).
source=${VENVSHIM_INSTALL_SOURCE-}
if [ -z "$source" ]; then
  case $0 in
    */install.sh) here=$(cd "$(dirname "$0")" && pwd -P) ;;
    install.sh) here=$(pwd -P) ;;
    *) here= ;;
  esac
  if [ -n "$here" ] && [ -f "$here/pyproject.toml" ] && grep -q '^name = "venvshim"' "$here/pyproject.toml"; then
    source=$here
  else
    source=venvshim
  fi
fi

say "installing venvshim from $source with uv tool install"
uv tool install --force --reinstall-package venvshim "$source" >/dev/null ||
  die "\`uv tool install $source\` failed (see above)" \
    "check your network or index settings; or set VENVSHIM_INSTALL_SOURCE to a local checkout or wheel"
[ -x "$venvshim" ] || die "uv tool install did not create $venvshim" "run \`uv tool list\` to see what happened"

if [ "$modify_path" = 0 ]; then
  "$venvshim" install --shim-dir "$shim_dir" --no-modify-path
  say ""
  say "PATH was not changed (--no-modify-path). Put the shim first on PATH, before uv's own"
  say "directory, in your shell's startup file, e.g. for sh/bash/zsh:"
  say "  export PATH=\"$shim_dir:\$PATH\""
  say "and for fish:  fish_add_path --move --path \"$shim_dir\""
  exit 0
fi

if [ "$scheduler" = 0 ]; then
  "$venvshim" install --shim-dir "$shim_dir" --modify-path --no-scheduler
else
  "$venvshim" install --shim-dir "$shim_dir" --modify-path
fi
say "venvshim is installed: the shim is $shim_dir/uv, the command $venvshim"
