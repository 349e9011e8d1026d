"""The command line: `main` dispatches to one module per command family, each imported only when its command
runs (`train`: headless training; `detached`: runs in their own process and their control verbs; `runs`:
listing and exporting recorded runs; `model`: predict and export-model; `data`: data sets and downloads).
`parser` holds every flag, `text` the language and the help's layout.

Imports the engine and `runner`; the UI only when the UI is asked for, so the headless commands never load
Textual.
"""
