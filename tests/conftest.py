"""Shared test set-up: Qt runs headless (offscreen) in every test."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
