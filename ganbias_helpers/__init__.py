"""Shared code for the course "Finding bias in a GAN with a classifier".

Models, the shipped pretrained weights, CelebA attribute names and data,
noise steering and plots live here once; the notebooks, the autograder and
the ``ganbias`` command import them.
"""

from .attributes import ATTRIBUTE_NAMES, N_ATTRIBUTES, attribute_index
from .device import pick_device
from .models import Z_DIM, Classifier, Generator, get_noise

__all__ = [
    "ATTRIBUTE_NAMES",
    "N_ATTRIBUTES",
    "Z_DIM",
    "Classifier",
    "Generator",
    "attribute_index",
    "get_noise",
    "pick_device",
]
__version__ = "0.1.0"
