"""The course's two networks: a DCGAN generator and a 40-attribute CelebA classifier.

Both keep the original course's layer layout and attribute names (``gen``,
``classifier``, ``make_gen_block``, ``make_classifier_block``), so a state dict
saved by that course loads into them unchanged.
"""

from __future__ import annotations

import torch
from torch import nn

#: Length of the generator's noise vector throughout the course.
Z_DIM = 64


class Generator(nn.Module):
    """DCGAN generator: a noise vector of length ``z_dim`` becomes a 64x64 image in [-1, 1].

    Args:
        z_dim: Length of the noise vector.
        im_chan: Channels of the output image (3 for RGB).
        hidden_dim: Width of the last hidden block; earlier blocks are 2x, 4x, 8x wider.
    """

    def __init__(self, z_dim: int = 10, im_chan: int = 3, hidden_dim: int = 64) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.gen = nn.Sequential(
            self.make_gen_block(z_dim, hidden_dim * 8),
            self.make_gen_block(hidden_dim * 8, hidden_dim * 4),
            self.make_gen_block(hidden_dim * 4, hidden_dim * 2),
            self.make_gen_block(hidden_dim * 2, hidden_dim),
            self.make_gen_block(hidden_dim, im_chan, kernel_size=4, final_layer=True),
        )

    def make_gen_block(
        self,
        input_channels: int,
        output_channels: int,
        kernel_size: int = 3,
        stride: int = 2,
        final_layer: bool = False,
    ) -> nn.Sequential:
        """Return one upsampling block.

        A transposed convolution, then batch norm and ReLU; the final block has tanh alone.
        """
        if not final_layer:
            return nn.Sequential(
                nn.ConvTranspose2d(input_channels, output_channels, kernel_size, stride),
                nn.BatchNorm2d(output_channels),
                nn.ReLU(inplace=True),
            )
        return nn.Sequential(
            nn.ConvTranspose2d(input_channels, output_channels, kernel_size, stride),
            nn.Tanh(),
        )

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        """Map noise of shape ``(n, z_dim)`` to images of shape ``(n, im_chan, 64, 64)``."""
        x = noise.view(len(noise), self.z_dim, 1, 1)
        return self.gen(x)


class Classifier(nn.Module):
    """Convolutional multi-label classifier: a 64x64 image becomes ``n_classes`` logits.

    Args:
        im_chan: Channels of the input image (3 for RGB).
        n_classes: Number of outputs (40 for all CelebA attributes).
        hidden_dim: Width of the first block; later blocks are 2x and 4x wider.
    """

    def __init__(self, im_chan: int = 3, n_classes: int = 2, hidden_dim: int = 64) -> None:
        super().__init__()
        self.classifier = nn.Sequential(
            self.make_classifier_block(im_chan, hidden_dim),
            self.make_classifier_block(hidden_dim, hidden_dim * 2),
            self.make_classifier_block(hidden_dim * 2, hidden_dim * 4, stride=3),
            self.make_classifier_block(hidden_dim * 4, n_classes, final_layer=True),
        )

    def make_classifier_block(
        self,
        input_channels: int,
        output_channels: int,
        kernel_size: int = 4,
        stride: int = 2,
        final_layer: bool = False,
    ) -> nn.Sequential:
        """Return one downsampling block.

        A convolution, then batch norm and LeakyReLU(0.2); the final block is the convolution alone.
        """
        if not final_layer:
            return nn.Sequential(
                nn.Conv2d(input_channels, output_channels, kernel_size, stride),
                nn.BatchNorm2d(output_channels),
                nn.LeakyReLU(0.2, inplace=True),
            )
        return nn.Sequential(nn.Conv2d(input_channels, output_channels, kernel_size, stride))

    def features(self, image: torch.Tensor) -> torch.Tensor:
        """Penultimate features: the last hidden block's activations averaged over space.

        Returns a tensor of shape ``(n, 4 * hidden_dim)``; the course uses it for the
        Fréchet distance between real and generated faces.
        """
        return self.classifier[:-1](image).mean(dim=(2, 3))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """Map images of shape ``(n, im_chan, 64, 64)`` to logits of shape ``(n, n_classes)``."""
        class_pred = self.classifier(image)
        return class_pred.view(len(class_pred), -1)


def make_generator(seed: int | None, device: torch.device | str) -> torch.Generator:
    """Return a ``torch.Generator`` on ``device``, seeded with ``seed`` (or from entropy if None)."""
    rng = torch.Generator(device=device)
    if seed is None:
        rng.seed()
    else:
        rng.manual_seed(seed)
    return rng


def get_noise(
    n_samples: int,
    z_dim: int = Z_DIM,
    device: torch.device | str = "cpu",
    seed: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Draw ``n_samples`` noise vectors of length ``z_dim`` from a standard normal.

    Args:
        n_samples: How many vectors.
        z_dim: Length of each vector.
        device: Where the tensor is created.
        seed: If given, the draw is reproducible: the same seed gives the same noise on
            the same device.
        generator: A ``torch.Generator`` to draw from instead (takes precedence over ``seed``).

    Returns:
        A tensor of shape ``(n_samples, z_dim)``.
    """
    if generator is None and seed is not None:
        generator = make_generator(seed, device)
    return torch.randn(n_samples, z_dim, device=device, generator=generator)
