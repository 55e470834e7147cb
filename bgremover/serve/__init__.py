"""Serving without a UI: what the app's endpoints do (:mod:`.service`) and production monitoring (:mod:`.monitor`)."""
