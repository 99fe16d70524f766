"""The engine's reference data, loaded and validated once at start-up: frameworks, rubrics, vocabularies."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from qa_engine.domain.datafiles import DataFileError
from qa_engine.domain.frameworks import FrameworkSet, check_frameworks
from qa_engine.domain.rubrics import RubricRegistry, load_rubrics
from qa_engine.domain.vocabularies import Vocabularies, VocabularyError, load_vocabularies


@dataclass(frozen=True)
class Catalogue:
    frameworks: FrameworkSet
    rubrics: RubricRegistry
    vocabularies: Vocabularies


def load(directory: Path) -> Catalogue:
    """Load everything under `directory`; raise DataFileError listing every problem of every file."""
    frameworks, errors = check_frameworks(directory / "frameworks")
    vocabularies = rubrics = None
    try:
        vocabularies = load_vocabularies(directory / "vocabularies")
    except VocabularyError as error:
        errors.extend(error.errors)
    if frameworks is not None:
        try:
            rubrics = load_rubrics(directory, frameworks)
        except DataFileError as error:
            errors.extend(error.errors)
    if errors or frameworks is None or rubrics is None or vocabularies is None:
        raise DataFileError(errors)
    return Catalogue(frameworks, rubrics, vocabularies)


def current() -> Catalogue:
    """The current application's catalogue."""
    return current_app.extensions["qa_engine.catalogue"]
