"""The interactive app (Solara). Imports ``model``, ``agents`` and ``scenarios``; nothing in the
core imports it. The app itself is built in a later issue."""
