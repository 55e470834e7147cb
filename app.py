"""The app's entry point in a checkout and on Hugging Face Spaces (installed: ``bgremover-app``);
the app itself is :mod:`bgremover_app.app`."""

from bgremover_app.app import build_app, main

__all__ = ["build_app", "main"]

if __name__ == "__main__":
    main()
