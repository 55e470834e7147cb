"""The app's example photos and clip (``examples/``, credited there) and the credit lines shown with them."""

from __future__ import annotations

from pathlib import Path

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"  # credited media, shipped with the app
CREDITS = {  # file: its credit line, shown under the examples (examples/CREDITS.md has the sources)
    "hands_raised_charades.jpg": '"Each player writes a phrase on a slip of paper..." by thefuturistics,'
    " CC BY 2.0 (resized)",
    "group_six_people.jpg": '"Meeting with constituent representatives of Thrivent Financial" by Senator Stabenow,'
    " CC BY 2.0, via Wikimedia Commons (resized)",
    "group_apollo11_crew.jpg": "NASA, Apollo 11 crew portrait (public domain)",
    "fullbody_worker_on_ladder.jpg": '"Electricians cutting racked wires in a back of house electric pull room"'
    " by MTA C&D - East Side Access, CC BY 2.0",
    "video_tears_of_steel_10s.mp4": "Tears of Steel — (CC) Blender Foundation, mango.blender.org (excerpt, cropped)",
}
PHOTO_EXAMPLES = [  # (file, people, label): one photo with its main subject only and with everyone
    ("hands_raised_charades.jpg", "main", "Hands raised: main subject"),
    ("hands_raised_charades.jpg", "all", "Hands raised: everyone"),
    ("group_six_people.jpg", "all", "Group of six"),
    ("group_apollo11_crew.jpg", "all", "Three overlapping"),
    ("fullbody_worker_on_ladder.jpg", "main", "Full body, cluttered room"),
]
VIDEO_EXAMPLE = "video_tears_of_steel_10s.mp4"


def credits_line(files) -> str:
    """The credit lines of ``files``, once each, as the small print under their examples."""
    return "<sub>Examples: " + "; ".join(dict.fromkeys(CREDITS[name] for name in files)) + ".</sub>"
