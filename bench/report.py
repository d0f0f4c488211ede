"""docs/benchmarks.md, where each benchmark script keeps the section it measured."""
import os

DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs",
                   "benchmarks.md")


def write_section(heading, body):
    """Make ``body`` the text under ``heading`` (a ``## `` line), up to the next such
    heading; a section not yet in the document goes at its end."""
    with open(DOC) as f:
        document = f.read()
    section = f"{heading}\n\n{body.strip()}\n"
    start = document.find(heading + "\n")
    if start == -1:
        document = document.rstrip("\n") + "\n\n" + section
    else:
        end = document.find("\n## ", start + len(heading))
        document = document[:start] + section + ("" if end == -1 else document[end:])
    with open(DOC, "w") as f:
        f.write(document)
