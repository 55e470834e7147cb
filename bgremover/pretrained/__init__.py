"""The shipped models (package data): ``bgremover-lite2`` (``"default"``) and ``bgremover-fast`` (``"fast"``)."""
