"""Synthetic data sets: TensorFlow-Playground-style 2-D sets and the lecture's 1-D curves.

Every generator takes (samples, noise, rng) and returns (x, y) numpy arrays; `noise`
runs from 0 (clean) to 1 (very noisy).
"""

from __future__ import annotations

import numpy as np

RADIUS = 5.0


def circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Class 1 inside a disc, class 0 in a ring around it."""
    inner = n // 2
    r = np.concatenate([rng.uniform(0, 0.5 * RADIUS, inner), rng.uniform(0.7 * RADIUS, RADIUS, n - inner)])
    angle = rng.uniform(0, 2 * np.pi, n)
    x = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    x += rng.uniform(-RADIUS, RADIUS, x.shape) * noise * 0.5
    y = np.concatenate([np.ones(inner, np.int64), np.zeros(n - inner, np.int64)])
    return x, y


def xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Class 1 where both coordinates share a sign (the XOR pattern of quadrants)."""
    x = rng.uniform(-RADIUS, RADIUS, (n, 2))
    x += np.where(x > 0, 0.3, -0.3)
    y = (x[:, 0] * x[:, 1] >= 0).astype(np.int64)
    x += rng.uniform(-RADIUS, RADIUS, x.shape) * noise * 0.5
    return x, y


def gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian clouds around (2, 2) and (-2, -2); noise widens them."""
    half = n // 2
    std = np.sqrt(0.5 + 3.5 * noise)
    x = np.concatenate([rng.normal(2, std, (half, 2)), rng.normal(-2, std, (n - half, 2))])
    y = np.concatenate([np.ones(half, np.int64), np.zeros(n - half, np.int64)])
    return x, y


def spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spiral arms."""
    half = n // 2
    parts, labels = [], []
    for label, delta, count in ((1, 0.0, half), (0, np.pi, n - half)):
        t = np.arange(count) / count
        r = t * RADIUS
        angle = 1.75 * t * 2 * np.pi + delta
        arm = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
        parts.append(arm + rng.uniform(-1, 1, arm.shape) * noise)
        labels.append(np.full(count, label, np.int64))
    return np.concatenate(parts), np.concatenate(labels)


def plane(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Regression: a tilted plane y = (x1 + x2) / 12 over [-6, 6]^2."""
    x = rng.uniform(-6, 6, (n, 2))
    y = (x[:, 0] + x[:, 1]) / 12 + rng.uniform(-1, 1, n) * noise * 0.5
    return x, y.reshape(-1, 1)


_BUMPS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def gauss_bumps(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Regression: six Gaussian bumps of alternating sign."""
    x = rng.uniform(-6, 6, (n, 2))
    y = np.zeros(n)
    for cx, cy, sign in _BUMPS:
        y += sign * np.exp(-((x[:, 0] - cx) ** 2 + (x[:, 1] - cy) ** 2) / 2)
    y += rng.uniform(-1, 1, n) * noise * 0.5
    return x, y.reshape(-1, 1)


def sine(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Regression in 1-D: y = sin(x) on [-2 pi, 2 pi]."""
    x = np.sort(rng.uniform(-2 * np.pi, 2 * np.pi, n)).reshape(-1, 1)
    y = np.sin(x) + rng.normal(0, noise * 0.5, x.shape)
    return x, y


_KNOTS_X = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
_KNOTS_Y = np.array([1.0, 1.0, 2.5, 1.5, 1.5, 3.0, 2.0])


def piecewise(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Regression in 1-D: a piecewise-linear curve, a sum of hard sigmoids plus a constant."""
    x = np.sort(rng.uniform(0, 6, n)).reshape(-1, 1)
    y = np.interp(x, _KNOTS_X, _KNOTS_Y) + rng.normal(0, noise * 0.5, x.shape)
    return x, y


WEEKLY_PATTERN = np.array([1.00, 1.04, 1.02, 0.97, 0.78, 0.62, 0.88])


def daily_views(days: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """A channel's daily views (thousands): slow growth, a weekly cycle with a weekend dip, noise."""
    t = np.arange(days)
    level = 4.0 + 1.5 * t / max(days, 1) + 0.3 * np.sin(2 * np.pi * t / 91)
    return level * WEEKLY_PATTERN[t % 7] * (1 + rng.normal(0, 0.02 + 0.15 * noise, days))


def views_windows(n: int, window: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Regression: predict tomorrow's views from the last `window` days."""
    series = daily_views(n + window, noise, rng)
    x = np.lib.stride_tricks.sliding_window_view(series[:-1], window)
    return x.copy(), series[window:].reshape(-1, 1)
