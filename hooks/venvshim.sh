# venvshim hook for POSIX sh. Sourced by the block between `# >>> venvshim >>>` and
# `# <<< venvshim <<<` that `venvshim install --modify-path` (install.sh) writes into ~/.profile;
# `venvshim uninstall` removes it. Do not edit: it is replaced on every install.
#
# Puts $VENVSHIM_SHIM_DIR first on PATH (unless it already is) for login shells and everything
# they start. A bash reading this file (a login bash without ~/.bash_profile) also gets the bash
# hook, which keeps the shim first against the lines after the block too; other shells have no
# moment after the last line of ~/.profile to do that in.

# Called by the block; the bash hook replaces it.
__venvshim_arm() { unset -f __venvshim_arm; }

if [ -n "${VENVSHIM_SHIM_DIR-}" ] && [ -d "$VENVSHIM_SHIM_DIR" ]; then
  case $PATH in
    "$VENVSHIM_SHIM_DIR" | "$VENVSHIM_SHIM_DIR":*) ;;
    *)
      venvshim_rest=
      venvshim_ifs=$IFS
      case $- in *f*) venvshim_noglob=1 ;; *) venvshim_noglob=0 ;; esac
      set -f
      IFS=:
      for venvshim_d in $PATH; do
        [ "$venvshim_d" = "$VENVSHIM_SHIM_DIR" ] || venvshim_rest=$venvshim_rest:$venvshim_d
      done
      IFS=$venvshim_ifs
      [ "$venvshim_noglob" = 1 ] || set +f
      PATH=$VENVSHIM_SHIM_DIR$venvshim_rest
      export PATH
      unset venvshim_rest venvshim_ifs venvshim_noglob venvshim_d
      ;;
  esac
fi

if [ -n "${BASH_VERSION-}" ] && [ -f "${VENVSHIM_HOOKS-}/venvshim.bash" ]; then
  . "$VENVSHIM_HOOKS/venvshim.bash"
fi
