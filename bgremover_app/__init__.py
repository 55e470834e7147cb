"""The Gradio app's tabs (the core library, :mod:`bgremover`, never imports this package)."""
