"""The desktop window (PySide6). The only package that imports Qt; it reaches the core through
ui.services and runs every slow thing through ui.tasks.TaskRunner."""
