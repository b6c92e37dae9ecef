# venvshim installer for Windows (Windows PowerShell 5.1 and PowerShell 7).
#
#   powershell -ExecutionPolicy Bypass -File install.ps1 [-ShimDir DIR] [-NoModifyPath] [-NoScheduler] [-Uninstall]
#
# 1. installs venvshim with `uv tool install` (from this checkout when run inside one, else
#    $env:VENVSHIM_INSTALL_SOURCE, else the `venvshim` package);
# 2. `venvshim install` writes the shim, a real uv.exe, into %LOCALAPPDATA%\venvshim\bin, puts that
#    directory first in the user PATH (HKCU\Environment, REG_EXPAND_SZ, then WM_SETTINGCHANGE),
#    adds a $PROFILE hook if uv sits on the machine PATH, and a Task Scheduler task for gc
#    (at logon, hourly) unless -NoScheduler. All PATH decisions are venvshim's (winpath.py).
# -Uninstall reverses all of it.
param(
    [string]$ShimDir = (Join-Path $env:LOCALAPPDATA 'venvshim\bin'),
    [switch]$NoModifyPath,
    [switch]$NoScheduler,
    [switch]$Uninstall
)
$ErrorActionPreference = 'Stop'

function Fail([string]$Message, [string]$Hint) {
    [Console]::Error.WriteLine("error: $Message")
    if ($Hint) { [Console]::Error.WriteLine("hint: $Hint") }
    exit 1
}

$uv = Get-Command uv -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
if (-not $uv) {
    Fail 'uv is not on PATH; venvshim is a shim in front of uv and needs it' `
        'install uv first (powershell -c "irm https://astral.sh/uv/install.ps1 | iex"), open a new terminal, then run this again'
}
& uv --version *> $null
if ($LASTEXITCODE -ne 0) { Fail "``uv --version`` failed: the uv on PATH ($($uv.Source)) does not work" 'reinstall uv' }

$toolBin = (& uv tool dir --bin).Trim()
$venvshim = Join-Path $toolBin 'venvshim.exe'

if ($Uninstall) {
    if (-not (Test-Path -LiteralPath $venvshim)) { Fail "venvshim is not installed (no $venvshim)" 'nothing to uninstall' }
    & $venvshim uninstall --shim-dir $ShimDir
    & uv tool uninstall venvshim *> $null
    Write-Output 'removed venvshim; open a new terminal so that PATH no longer names the shim'
    exit 0
}

$source = $env:VENVSHIM_INSTALL_SOURCE
if (-not $source) {
    $here = $PSScriptRoot
    if ($here -and (Test-Path -LiteralPath (Join-Path $here 'pyproject.toml')) -and
        (Select-String -LiteralPath (Join-Path $here 'pyproject.toml') -Pattern '^name = "venvshim"' -Quiet)) {
        $source = $here
    } else {
        $source = 'venvshim'
    }
}

Write-Output "installing venvshim from $source with uv tool install"
& uv tool install --force --reinstall-package venvshim $source
if ($LASTEXITCODE -ne 0) { Fail "``uv tool install $source`` failed (see above)" 'check your network or index settings, or set VENVSHIM_INSTALL_SOURCE' }

if ($NoModifyPath) {
    & $venvshim install --shim-dir $ShimDir --no-modify-path
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    Write-Output "PATH was not changed (-NoModifyPath): put $ShimDir first in your user PATH, before uv's directory."
    exit 0
}
$extra = @()
if ($NoScheduler) { $extra += '--no-scheduler' }
& $venvshim install --shim-dir $ShimDir --modify-path @extra
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
Write-Output "venvshim is installed: the shim is $(Join-Path $ShimDir 'uv.exe'), the command $venvshim"
