; Inno Setup script: QwenRAG-Setup-<version>.exe from the PyInstaller folder dist\QwenRAG.
; UNTESTED here (written on Linux); see packaging\README.md for the steps.
;
;   iscc packaging\windows\qwenrag.iss                       (from the project root, after the build)
;   iscc /DAppVersion=0.2.0 packaging\windows\qwenrag.iss
;
; Installs per user by default (no administrator rights needed; the dialog offers all users), adds a
; Start-menu entry and an uninstaller. The user's library, settings and models live in %LOCALAPPDATA%\QwenRAG
; (qwenrag\paths.py, platformdirs): the uninstaller leaves them, as a person's documents index and downloaded
; models should not vanish with an update or a reinstall.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "QwenRAG"
#define AppExe "QwenRAG.exe"
#define SourceDir "..\..\dist\QwenRAG"

[Setup]
AppId={{6B0E3D4B-51F6-4E55-9B0C-7A1F3C2B9E41}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=QwenRAG
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=QwenRAG-Setup-{#AppVersion}
; The GGUF model does not compress; lzma2/fast keeps the build quick for little size cost.
Compression=lzma2/fast
SolidCompression=no
WizardStyle=modern
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
; The bundle is a few hundred MB (more with a bigger model); Setup.exe stays under Inno's 2 GB limit
; without disk spanning for the Qwen2.5-0.5B model.
DiskSpanning=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; Everything PyInstaller produced: QwenRAG.exe (the window), qwenrag-cli.exe (command line, --self-test),
; _internal\ (Python, Qt, llama.cpp, the model in _internal\models, the samples).
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only what the program itself may leave inside its folder (Python byte-code caches); never user data.
Type: filesandordirs; Name: "{app}\_internal\__pycache__"
