"""The package's imports run one way: from ``tools`` and the experiment drivers down to ``utils``.

Every ``import`` statement of every module of ``posereid`` (at module level or inside a
function) is read with ``ast``. An import may reach its own layer or a lower one (``LAYERS``,
bottom first), never a higher one, and the import graph of the modules has no circle.
"""
from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / 'posereid'

#: The layers of posereid's sub-packages, bottom first.
LAYERS = (('registry', 'utils'), ('pose', 'evaluation'), ('datasets', 'models', 'baselines'),
          ('visualization', 'retrieval'), ('engine',), ('apis',), ('tracking',))
LAYER = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def module_name(path: Path) -> str:
    parts = ['posereid', *path.relative_to(PACKAGE).with_suffix('').parts]
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob('*.py'))}


def imported_modules(name: str, path: Path | None = None) -> set[tuple[str, int]]:
    """``(module, line)`` of every posereid module that module ``name`` (read from ``path``,
    default its file) imports, the packages whose ``__init__`` an import runs included."""
    path = path or MODULES[name]
    package = name if path.name == '__init__.py' else name.rpartition('.')[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split('.')[:len(package.split('.')) - node.level + 1] if node.level \
                else []
            module = '.'.join(base + ([node.module] if node.module else []))
            # `from package import submodule` imports the submodule too
            targets = [module] + [f'{module}.{a.name}' for a in node.names
                                  if f'{module}.{a.name}' in MODULES]
        else:
            continue
        for target in targets:
            if target.split('.')[0] != 'posereid':
                continue
            parts = target.split('.')
            # importing a.b.c runs the __init__ of a.b (and a) unless already inside it
            for end in range(2, len(parts) + 1):
                ancestor = '.'.join(parts[:end])
                if ancestor in MODULES and not name.startswith(ancestor + '.'):
                    found.add((ancestor, node.lineno))
    return {(module, line) for module, line in found if module != name}


GRAPH = {name: imported_modules(name) for name in MODULES}


def layer_of(module: str) -> int | None:
    parts = module.split('.')
    return LAYER.get(parts[1]) if len(parts) > 1 else None


def upward_imports(graph: dict) -> list[str]:
    """``module:line imports target`` for each import that reaches a higher layer."""
    upward = []
    for name, imports in graph.items():
        source = layer_of(name)
        for target, line in sorted(imports):
            target_layer = layer_of(target)
            if source is not None and target_layer is not None and target_layer > source:
                upward.append(f'{name}:{line} imports {target} ({LAYERS[target_layer]} is '
                              f'above {LAYERS[source]})')
    return upward


def import_circles(graph: dict) -> list[str]:
    """Each circle found by a depth-first walk of the module graph, as ``a -> b -> a``."""
    edges = {name: sorted({target for target, _ in imports}) for name, imports in graph.items()}
    state: dict[str, str] = {}
    circles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 'open'
        for target in edges.get(node, ()):
            if state.get(target) == 'open':
                circles.append(' -> '.join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[node] = 'done'

    for name in edges:
        if name not in state:
            visit(name, [name])
    return circles


def test_every_subpackage_has_a_layer():
    subpackages = {name.split('.')[1] for name in MODULES if name.count('.') >= 1}
    assert subpackages <= set(LAYER), f'give {sorted(subpackages - set(LAYER))} a layer'


def test_imports_run_only_down_the_layers():
    upward = upward_imports(GRAPH)
    assert not upward, 'imports that run up the layers:\n' + '\n'.join(upward)


def test_the_import_graph_has_no_circle():
    circles = import_circles(GRAPH)
    assert not circles, 'import circles:\n' + '\n'.join(circles)


def test_the_checks_find_a_function_local_upward_import_and_the_circle_it_closes(tmp_path):
    """A function-local import from ``utils.io`` up to ``engine`` (which imports utils.io)."""
    probe = tmp_path / 'io.py'
    probe.write_text((PACKAGE / 'utils' / 'io.py').read_text() +
                     '\n\ndef _probe():\n    from posereid.engine import train\n')
    graph = dict(GRAPH, **{'posereid.utils.io': imported_modules('posereid.utils.io', probe)})
    assert any(line.startswith('posereid.utils.io:') and 'posereid.engine' in line
               for line in upward_imports(graph))
    assert any('posereid.utils.io' in circle for circle in import_circles(graph))
    assert not upward_imports(GRAPH) and not import_circles(GRAPH)


def test_the_package_never_looks_beside_its_own_files():
    """No module finds configs, data or checkpoints through ``__file__``."""
    own_file = re.compile(r'(?<![\w.])__file__')            # not another module's mod.__file__
    offenders = [str(path.relative_to(PACKAGE.parent)) for path in MODULES.values()
                 if own_file.search(path.read_text(encoding='utf-8'))]
    assert not offenders


@pytest.mark.slow
def test_a_fresh_non_editable_install_builds_a_model_from_a_config(tmp_path):
    """``pip install .`` (a wheel, not the checkout) into a fresh venv that borrows this
    environment's dependencies, then, outside the checkout, ``import posereid`` and build a
    model from a shipped config."""
    repo = PACKAGE.parent
    source = tmp_path / 'source'            # a copy, so that the build leaves the checkout alone
    shutil.copytree(PACKAGE, source / 'posereid', ignore=shutil.ignore_patterns('__pycache__'))
    for name in ('pyproject.toml', 'README.md'):
        shutil.copy(repo / name, source / name)
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], check=True)
    site = next((venv / 'lib').glob('python*/site-packages'))
    # this environment's packages, after the venv's own (its .pth files, e.g. the editable
    # posereid's, are not read from there)
    dependencies = [p for p in sys.path if p.endswith('site-packages')]
    (site / 'dependencies.pth').write_text('\n'.join(dependencies) + '\n')
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet', '--no-deps',
                    '--no-build-isolation', '--target', str(site), str(source)],
                   check=True, capture_output=True, cwd=tmp_path)
    script = f'''
import posereid
from posereid.engine import load_config
from posereid.registry import MODELS
from mmengine.registry import DefaultScope
assert posereid.__file__.startswith({str(site)!r}), posereid.__file__
cfg = load_config({str(repo / 'configs' / 'spindle_fusion_synthetic.py')!r})
with DefaultScope.overwrite_default_scope('posereid'):
    model = MODELS.build(cfg.model)
print(type(model).__name__, sum(p.numel() for p in model.parameters()))
'''
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    result = subprocess.run([str(venv / 'bin' / 'python'), '-c', script], cwd=elsewhere,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    name, weights = result.stdout.split()[-2:]
    assert name == 'SpindleFusion' and int(weights) > 0
