# venvshim hook for zsh. Sourced by the block between `# >>> venvshim >>>` and
# `# <<< venvshim <<<` that `venvshim install --modify-path` (install.sh) writes into
# ${ZDOTDIR:-$HOME}/.zshrc and .zprofile; `venvshim uninstall` removes both. Do not edit: it is
# replaced on every install.
#
# At the first prompt (precmd), once every rc line has run, and then never again:
#  * puts $VENVSHIM_SHIM_DIR in front of PATH if anything moved it (an rc line that runs after
#    this one, such as uv's own `. "$HOME/.local/bin/env"`), and leaves PATH alone when it is
#    already first;
#  * starts `venvshim gc` detached and silent if a run is due: at most once per
#    $VENVSHIM_GC_INTERVAL seconds (default 3600) across all shells, kept by a stamp file in the
#    state root whose mtime is the time the next run is due (venvshim/autogc.py).
# Then it removes itself from precmd: a hook function costs ~10 us a prompt in zsh, more than the
# 5% it may take (tests/bench, row 6). Periodic gc for shells that stay open is the scheduler's.

[ -n "${ZSH_VERSION-}" ] || return 0

: ${VENVSHIM_SHIM_DIR:=${XDG_DATA_HOME:-$HOME/.local/share}/venvshim/bin}

__venvshim_path() {
  emulate -L zsh
  [[ ${path[1]-} == "$VENVSHIM_SHIM_DIR" ]] && return 0
  [[ -d $VENVSHIM_SHIM_DIR ]] || return 0
  path=("$VENVSHIM_SHIM_DIR" "${(@)path:#$VENVSHIM_SHIM_DIR}")
}

__venvshim_gc() {
  emulate -L zsh
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

__venvshim_first_prompt() {
  __venvshim_path
  __venvshim_gc
  add-zsh-hook -d precmd __venvshim_first_prompt
}

autoload -Uz add-zsh-hook && add-zsh-hook precmd __venvshim_first_prompt

__venvshim_path
