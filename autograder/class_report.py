"""What the class got wrong, at a glance: ``report.html`` in a batch's ``--out`` folder.

One self-contained page (figures inline as data URIs, no script, nothing fetched) for the
instructor before the next lecture: per graded function the distribution of points, the named
mistakes with how many students made each and who, the other failures (not handed in, unreadable, not
found, answers that call the course's own code, errors, crashes and timeouts), and a figure per
notebook. Each figure has a text alternative giving its numbers, and its bars differ by pattern
and label as well as colour.

A failed function counts once, under the first of: not handed in, unreadable, not found, delegating,
timed out, crashed, a named mistake (every known mistake its messages name), the wrong type,
raised an error, wrong without a known mistake (grouped by what its first failed check said).
The named mistakes are the ``mistakes`` of the function's cases
(:class:`ganbias_helpers.checks.core.Case`), found in the feedback's messages.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .manual import manual_questions

if TYPE_CHECKING:
    from .records import FunctionGrade, StudentGrade

#: Failure kinds other than named mistakes, in the order a failed function is classified, with their labels.
KINDS = {
    "not_handed_in": "notebook not handed in",
    "unreadable": "notebook could not be read",
    "not_found": "function not found",
    "delegating": "called the course's own code",
    "timed_out": "timed out",
    "crashed": "crashed",
    "type": "returned the wrong type",
    "named": "a named mistake",
    "error": "raised an error",
    "wrong": "wrong, no known mistake named",
}
_KEYWORDS = {
    "not_handed_in": ("was not handed in",),
    # notebook.read_notebook's refusals (SubmissionError) and a notebook left unread
    "unreadable": ("cannot read ", "is not a regular file", " MB limit", " is empty", "is not UTF-8 text",
                   "is not valid JSON", "nested too deeply", "not a Jupyter notebook", " has no cells",
                   " was not read"),
    "not_found": (" not found: ",),
    "delegating": ("write the computation yourself",),
    "timed_out": ("did not finish", "took too long", "time budget", "timed out", "timeout"),
    "crashed": ("crashed", "process stopped", "value too large", "could not be read back", "out of memory"),
    "type": ("should return a", "should be a", "should be float32", "should return a pair"),
}
#: The figures' categories: label, colour, hatch (bars differ by pattern as well as colour).
_BARS = (("full points", "#2b8a3e", ""), ("a named mistake", "#e8590c", "//"),
         ("wrong type, or wrong and not named", "#c92a2a", "xx"),
         ("error, crash or timeout", "#5f3dc4", ".."),
         ("not handed in, unreadable or not found", "#868e96", "--"))


def known_mistakes(function: str) -> list[str]:
    """The mistakes the checks of ``function`` can name (their messages), longest first."""
    from .items import cases_of

    names = {message for case in cases_of(function) for message in case.mistakes}
    return sorted(names, key=lambda m: (-len(m), m))


def classify(fg: FunctionGrade, mistakes: list[str]) -> tuple[str, list[str]]:
    """The kind of a failed function (a key of :data:`KINDS`) and the named mistakes its messages hold.

    For ``wrong``, instead of named mistakes: what its first failed check said (:func:`said`).
    """
    text = "\n".join(fg.all_messages)
    for kind in ("not_handed_in", "unreadable", "not_found", "delegating", "timed_out", "crashed"):
        if any(word in text for word in _KEYWORDS[kind]):
            return kind, []
    named = [m for m in mistakes if m in text]
    if named:
        return "named", named
    if any(word in text for word in _KEYWORDS["type"]):
        return "type", []
    if "raised " in text:
        return "error", []
    return "wrong", [said(fg.all_messages[0])] if fg.all_messages else []


def said(message: str) -> str:
    """What a check said, without the case's name and with its numbers as N (alike failures group together)."""
    reason = message.split(": ", 1)[1] if ": " in message else message
    return re.sub(r"(?<![\w=.])\d+(?:\.\d+)?(?:e-?\d+)?", "N", reason)[:200]


@dataclass
class FunctionSummary:
    """What the class did on one graded function."""

    notebook: str
    name: str
    max_points: float
    points: Counter = field(default_factory=Counter)
    kinds: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    mistakes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    said: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @property
    def students(self) -> int:
        """Students graded on it."""
        return sum(self.points.values())

    @property
    def full(self) -> int:
        """Students with all its points."""
        return self.points.get(self.max_points, 0)

    def bar_counts(self) -> list[int]:
        """Counts for the figure's categories (:data:`_BARS`)."""
        k = {kind: len(who) for kind, who in self.kinds.items()}
        return [self.full, k.get("named", 0), k.get("wrong", 0) + k.get("type", 0),
                k.get("error", 0) + k.get("crashed", 0) + k.get("timed_out", 0) + k.get("delegating", 0),
                k.get("not_handed_in", 0) + k.get("unreadable", 0) + k.get("not_found", 0)]


def summarise(grades: Iterable[StudentGrade]) -> dict[str, FunctionSummary]:
    """Per graded function (course order), the class's points, failure kinds and named mistakes."""
    from .items import all_items

    summaries = {item.name: FunctionSummary(item.notebook, item.name, float(item.points)) for item in all_items()}
    mistakes: dict[str, list[str]] = {}  # built for the functions someone failed (their cases are built already)
    for grade in sorted(grades, key=lambda g: g.student):
        for fg in grade.functions:
            summary = summaries.get(fg.name)
            if summary is None:
                continue
            summary.points[float(fg.points)] += 1
            if fg.points == fg.max_points:
                continue
            if fg.name not in mistakes:
                mistakes[fg.name] = known_mistakes(fg.name)
            kind, found = classify(fg, mistakes[fg.name])
            summary.kinds[kind].append(grade.student)
            for message in found:
                (summary.mistakes if kind == "named" else summary.said)[message].append(grade.student)
    return {name: s for name, s in summaries.items() if s.students}


def _figure(notebook: str, summaries: list[FunctionSummary]) -> tuple[str, str]:
    """A notebook's figure as a PNG data URI, and its text alternative."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 1.6 + 0.6 * len(summaries)), dpi=100)
    names = [s.name for s in summaries][::-1]
    left = [0] * len(summaries)
    for b, (label, colour, hatch) in enumerate(_BARS):
        counts = [s.bar_counts()[b] for s in summaries][::-1]
        bars = ax.barh(names, counts, left=left, color=colour, hatch=hatch, edgecolor="white", label=label)
        for bar, count in zip(bars, counts):
            if count:
                ax.text(bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2, str(count),
                        ha="center", va="center", color="white", fontsize=9, fontweight="bold")
        left = [a + c for a, c in zip(left, counts)]
    ax.set_xlabel("students")
    ax.set_title(f"{notebook}: what each student's answer got")
    fig.legend(loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.8 / (1.6 + 0.6 * len(summaries)), 1, 1))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    alt = f"{notebook}, students per outcome. " + " ".join(
        f"{s.name}: " + ", ".join(f"{label} {n}" for (label, _, _), n in zip(_BARS, s.bar_counts())) + "."
        for s in summaries)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode(), alt


def _e(text: str) -> str:
    """``text`` escaped for HTML; a name that is not valid Unicode (surrogates) is shown with replacement marks."""
    return html.escape(text.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))


def render(grades: list[StudentGrade]) -> str:
    """The report as one HTML page."""
    e = _e
    summaries = summarise(grades)
    statuses = Counter(g.status for g in grades)
    mean = sum(g.total for g in grades) / len(grades) if grades else 0.0
    top = max((g.max_total for g in grades), default=0.0)
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Class report</title><style>"
             "body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:.5em 0}"
             "td,th{border:1px solid #bbb;padding:3px 8px;text-align:left;vertical-align:top}th{background:#eee}"
             "img{max-width:100%}.who{color:#333;font-size:90%}</style></head><body>",
             "<h1>Class report: what the class got wrong</h1>",
             f"<p>{len(grades)} students, mean {mean:.2f} of {top:g} points. "
             + ", ".join(f"{n} {e(s.replace('_', ' '))}" for s, n in sorted(statuses.items())) + ".</p>",
             "<p>Per graded function: how many students got each number of points, the mistakes the checks named "
             "(and who made them; one answer can make several), and the other reasons for lost points. In the "
             "figures a student's failed function counts once.</p>"]
    questions = manual_questions()
    if questions:
        parts.append(f"<p>Not in this report: the {len(questions)} written questions "
                     f"({sum(q.points for q in questions):g} points), graded by hand. The column "
                     "<em>to grade by hand</em> of grades.csv says, per student, how many points are left to grade "
                     "(<code>ganbias grade --manual-scores FILE</code> merges your scores).</p>")
    by_notebook: dict[str, list[FunctionSummary]] = defaultdict(list)
    for s in summaries.values():
        by_notebook[s.notebook].append(s)
    for notebook, group in by_notebook.items():
        uri, alt = _figure(notebook, group)
        parts.append(f"<h2>{e(notebook)}</h2><figure><img src='{uri}' alt='{e(alt)}'>"
                     f"<figcaption>{e(alt)}</figcaption></figure>")
        for s in group:
            parts.append(f"<h3 id='{e(s.name)}'>{e(s.name)} ({s.max_points:g} point{'s' if s.max_points != 1 else ''}):"
                         f" {s.full} of {s.students} "
                         "with full points</h3>")
            parts.append("<table><tr><th scope='col'>points</th><th scope='col'>students</th></tr>" + "".join(
                f"<tr><td>{p:g}</td><td>{n}</td></tr>" for p, n in sorted(s.points.items(), reverse=True))
                + "</table>")
            rows = [(f"named: {m}", who) for m, who in sorted(s.mistakes.items(), key=lambda kv: -len(kv[1]))]
            rows += [(KINDS[k], who) for k, who in s.kinds.items() if k not in ("named", "wrong")]
            rows += [(f"{KINDS['wrong']}; the checks said: {m}", who)
                     for m, who in sorted(s.said.items(), key=lambda kv: -len(kv[1]))]
            if rows:
                parts.append("<table><tr><th scope='col'>what went wrong</th><th scope='col'>students</th>"
                             "<th scope='col'>who</th></tr>" + "".join(
                                 f"<tr><td>{e(label)}</td><td>{len(who)}</td><td class='who'>"
                                 f"{e(', '.join(who))}</td></tr>" for label, who in rows) + "</table>")
    parts.append("</body></html>\n")
    return "".join(parts)


def write_report(grades: list[StudentGrade], out: str | Path) -> Path:
    """Write ``report.html`` into ``out`` and return its path."""
    from .records import write_atomic

    path = Path(out) / "report.html"
    write_atomic(path, render(grades))
    return path
