# venvshim hook for zsh. Sourced by the block between `# >>> venvshim >>>` and
# `# <<< venvshim <<<` that `venvshim install --modify-path` (install.sh) writes into
# ${ZDOTDIR:-$HOME}/.zshrc and .zprofile; `venvshim uninstall` removes both. Do not edit: it is
# replaced on every install.
#
# Before each prompt (precmd):
#  * puts $VENVSHIM_SHIM_DIR back in front of PATH if anything moved it (an rc line that runs
#    after this one, such as uv's own `. "$HOME/.local/bin/env"`, or an activated venv), and
#    leaves PATH alone when it is already first;
#  * at most once per $VENVSHIM_GC_INTERVAL seconds (default 3600) starts `venvshim gc`
#    detached and silent. The interval is kept by a stamp file in the state root whose mtime is
#    the time the next run is due (venvshim/autogc.py), so all shells share it.
# The common path is one string comparison and one arithmetic test: no fork, no file access.

[ -n "${ZSH_VERSION-}" ] || return 0

: ${VENVSHIM_SHIM_DIR:=${XDG_DATA_HOME:-$HOME/.local/share}/venvshim/bin}

__venvshim_path() {
  emulate -L zsh
  [[ ${path[1]-} == "$VENVSHIM_SHIM_DIR" ]] && return 0
  [[ -d $VENVSHIM_SHIM_DIR ]] || return 0
  path=("$VENVSHIM_SHIM_DIR" "${(@)path:#$VENVSHIM_SHIM_DIR}")
}

typeset -gi __venvshim_gc_next=${__venvshim_gc_next:-0}

__venvshim_gc() {
  emulate -L zsh
  (( SECONDS < __venvshim_gc_next )) && return 0
  local every=${VENVSHIM_GC_INTERVAL:-3600}
  [[ $every == <1-> ]] || every=3600
  __venvshim_gc_next=$(( SECONDS + (every < 60 ? every : 60) ))
  local state
  if [[ -n ${VENVSHIM_HOME-} ]]; then
    state=$VENVSHIM_HOME
  elif [[ $OSTYPE == darwin* ]]; then
    state="$HOME/Library/Application Support/venvshim"
  else
    state="${XDG_STATE_HOME:-$HOME/.local/state}/venvshim"
  fi
  # No state root yet: nothing was ever tombstoned, nothing to collect.
  [[ -d $state ]] || return 0
  local stamp=$state/autogc.stamp
  if [[ -e $stamp ]]; then
    # The glob qualifier reads the mtime (the due time) without a fork: `ms+0` matches once
    # that time has passed.
    local -a due
    due=( $stamp(N.ms+0) )
    (( $#due )) || return 0
  fi
  [[ -n ${VENVSHIM_PYTHON-} && -x $VENVSHIM_PYTHON ]] || return 0
  ( "$VENVSHIM_PYTHON" -I -m venvshim.autogc --from hook </dev/null >/dev/null 2>&1 & )
}

__venvshim_precmd() {
  __venvshim_path
  __venvshim_gc
}

autoload -Uz add-zsh-hook && add-zsh-hook precmd __venvshim_precmd

__venvshim_path
