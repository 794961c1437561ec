"""``docs/results.md``, the one page of results, joined from the sections the experiments write.

    python experiments/results_page.py

Each experiment writes its own section, a Markdown file in ``docs/results/`` (with a JSON file
beside it where it has one), and then calls :func:`write_results_page`, which joins the sections
that exist in the order of :data:`SECTIONS` under a table of contents. No table is ever copied
by hand: the README links here.
"""
from __future__ import annotations

from pathlib import Path

from posereid.utils.io import atomic_save_json, atomic_write

DOCS = Path(__file__).resolve().parents[1] / 'docs'
#: section file in docs/results/ → its title on the page, in page order
SECTIONS = {
    'real_benchmark.md': 'Real photographs: CUHK03 camera pair 1 and VIPeR (CPU)',
    'gpu/real_benchmark.md': 'Real photographs on a GPU (the longer budget)',
    'gpu/real_benchmark_r50.md': 'The ResNet-50 fusion recipe on a GPU',
    'real_benchmark_viper_splits.md': "VIPeR's 10 splits, from scratch and fine-tuned",
    'gpu/bench_layers_cuda.md': 'The matching layers on CUDA',
    'demo.md': 'The embedded world: what make demo measures',
    'ablation.md': 'The embedded world: ablation over seeds',
    'track_ablation.md': 'Following people across cameras: ablation over video worlds',
    'live.md': 'Live tracking: online against offline, latency',
    'benchmarks.md': 'Speed and memory (make bench)',
}


def anchor(title: str) -> str:
    """GitHub's anchor of a heading."""
    kept = ''.join(c for c in title.lower() if c.isalnum() or c in ' -')
    return kept.replace(' ', '-')


def write_section(name: str, markdown: str, figures: dict | None = None,
                  docs: Path = DOCS) -> Path:
    """Write section ``name`` (a key of :data:`SECTIONS`) and, where given, its ``figures`` as
    JSON beside it, then the page; returns the section's path."""
    if name not in SECTIONS:
        raise ValueError(f'unknown results section {name!r}; known: {", ".join(SECTIONS)}')
    path = docs / 'results' / name
    with atomic_write(path, encoding='utf-8') as f:
        f.write(markdown)
    if figures is not None:
        atomic_save_json(figures, path.with_suffix('.json'))
    write_results_page(docs)
    return path


def write_results_page(docs: Path = DOCS) -> Path:
    """Join the sections of ``docs/results/`` into ``docs/results.md`` (atomically)."""
    parts, contents = [], []
    for name, title in SECTIONS.items():
        path = docs / 'results' / name
        if not path.is_file():
            continue
        body = path.read_text(encoding='utf-8').strip().split('\n')
        if body[0].startswith('# '):          # a section's own title gives way to the page's
            body = body[1:]
        parts.append(f'## {title}\n\n_From `docs/results/{name}`._\n\n' + '\n'.join(body).strip())
        contents.append(f'- [{title}](#{anchor(title)})')
    page = ('# Results\n\nEvery figure here is written by the experiment that measured it '
            '(the command is in each section); this page joins them '
            '(`python experiments/results_page.py`).\n\n' + '\n'.join(contents) + '\n\n'
            + '\n\n'.join(parts) + '\n')
    with atomic_write(docs / 'results.md', encoding='utf-8') as f:
        f.write(page)
    return docs / 'results.md'


if __name__ == '__main__':
    print(write_results_page())
