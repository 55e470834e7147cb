"""``CompositeConfig``: every knob of the training compositor (:class:`~bgremover.data.compositing.CopyPaste`)
with its one default, the training recipe's. Pure Python, so a training config (and the command line
that lists its options) reads it without loading the compositor."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CompositeConfig:
    """Knobs of :class:`CopyPaste` (probabilities of each framing, scale ranges, canvas). The defaults are
    the training recipe's: a training config nests one (``TrainConfig.composite``), so each knob has
    one default."""

    p: float = 0.7  # of samples composited; the rest are the real photos as they are
    empty_p: float = 0.1  # of a composite showing the background alone: nobody to find
    canvas_long_side: int = 640  # the largest canvas
    min_canvas_side: int = 256  # the smallest canvas when it is sized to the person's resolution
    match_resolution: bool = True  # size the canvas so that the main person is not enlarged
    canvas_aspects: tuple[float, ...] = (0.75, 1.0, 4 / 3, 16 / 9, 9 / 16)
    portrait_p: float = 0.2  # of a head-and-torso crop cut by the bottom edge
    closeup_p: float = 0.25  # of a head-and-shoulders close-up filling most of the frame (webcam, video call)
    closeup_keep: tuple[float, float] = (0.17, 0.4)  # share of the person's height kept, from the top
    closeup_height: tuple[float, float] = (0.7, 1.1)  # of the canvas height (above 1: the head cut by the top edge)
    closeup_center: tuple[float, float] = (0.3, 0.7)  # its centre, a share of the canvas width (wider: cut by a side)
    # of a photo left as it is (not composited) being cropped to a close-up of its people instead:
    # person and room then share the camera they were photographed with (:func:`closeup_crop`)
    real_closeup_p: float = 0.0
    defocus_p: float = 0.3  # of the background defocused (close-ups: twice as likely)
    defocus_radius: tuple[float, float] = (0.003, 0.015)  # disk radius, share of the canvas long side
    harmonize_p: float = 0.5  # of the person's colours moved towards the background's
    harmonize_strength: tuple[float, float] = (0.2, 0.6)
    group_p: float = 0.2  # of a group of people
    full_height: tuple[float, float] = (0.1, 1.0)
    portrait_keep: tuple[float, float] = (0.3, 0.6)
    portrait_height: tuple[float, float] = (0.6, 1.2)
    group_size: tuple[int, int] = (2, 4)
    group_row_p: float = 0.0  # of a group standing in a row: feet on one line, as in group photos
    feather_sigma: tuple[float, float] = (0.0, 1.5)
    occluder_p: float = 0.0  # of a background-photo occluder in front of the people
    occluder_size: tuple[float, float] = (0.15, 0.5)  # of the canvas height and width
    occluder_vertices: tuple[int, int] = (5, 9)
    # of a composite with an object that is not a person touching its people (a chair behind the head, a
    # cushion held in front), labelled background: the hard negatives of ``TrainConfig.negatives``
    negative_p: float = 0.0
    negative_front_p: float = 0.3  # of those objects in front of the people (taken from the label), the rest behind
    negative_height: tuple[float, float] = (0.3, 1.0)  # of the people's height (in front: half that)
