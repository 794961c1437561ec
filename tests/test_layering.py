"""The package's imports run one way: from ``tools`` and the experiment drivers down to ``utils``;
and every package they name outside it is one that ``pyproject.toml`` declares.

Every ``import`` statement of every module of ``posereid`` (at module level or inside a
function) is read with ``ast``. An import may reach its own layer or a lower one (``LAYERS``,
bottom first), never a higher one, and the import graph of the modules has no circle. A
third-party import names a distribution (``DISTRIBUTIONS``) that is a core requirement or in an
extra; the extras' packages are imported only where they are used, so that every module imports
with the core requirements alone.
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from collections import defaultdict
from itertools import chain
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


#: The distribution that provides each third-party module that posereid imports.
DISTRIBUTIONS = {
    'PIL': 'pillow', 'cv2': 'opencv-python', 'faiss': 'faiss-cpu', 'h5py': 'h5py',
    'matplotlib': 'matplotlib', 'mediapipe': 'mediapipe', 'mmdet': 'mmdet',
    'mmengine': 'mmengine', 'mmpose': 'mmpose', 'numpy': 'numpy', 'onnxruntime': 'onnxruntime',
    'scipy': 'scipy', 'supervision': 'supervision', 'torch': 'torch', 'torchvision': 'torchvision',
    'tqdm': 'tqdm', 'trackeval': 'trackeval', 'trackers': 'trackers', 'werkzeug': 'werkzeug',
}


def distribution_names(requirements) -> set[str]:
    """The normalised distribution names (PEP 503) of PEP 508 requirement strings."""
    return {re.sub(r'[-_.]+', '-', re.match(r'[A-Za-z0-9._-]+', r).group()).lower()
            for r in requirements}


PROJECT = tomllib.loads((PACKAGE.parent / 'pyproject.toml').read_text(encoding='utf-8'))['project']
CORE = distribution_names(PROJECT['dependencies'])
OPTIONAL = distribution_names(chain.from_iterable(PROJECT['optional-dependencies'].values())) - CORE


def third_party_imports(paths) -> dict[str, list[str]]:
    """``{top-level module: ['file:line', ...]}`` of every import (at module level or inside a
    function) of ``paths`` that is neither of the standard library nor of posereid."""
    found = defaultdict(list)
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for top in {name.partition('.')[0] for name in names}:
                if top not in sys.stdlib_module_names and top != 'posereid':
                    found[top].append(f'{path}:{node.lineno}')
    return found


def undeclared_imports(imports: dict[str, list[str]], declared: set[str]) -> list[str]:
    """``module (file:line): why`` for each import whose distribution is not ``declared``."""
    problems = []
    for name, places in sorted(imports.items()):
        distribution = DISTRIBUTIONS.get(name)
        if distribution is None:
            problems.append(f'{name} ({places[0]}): name its distribution in DISTRIBUTIONS')
        elif distribution not in declared:
            problems.append(f'{name} ({places[0]}): {distribution} is not in pyproject.toml')
    return problems


def test_every_third_party_import_is_a_declared_requirement():
    problems = undeclared_imports(third_party_imports(MODULES.values()), CORE | OPTIONAL)
    assert not problems, 'undeclared imports:\n' + '\n'.join(problems)


def test_the_check_finds_an_undeclared_import_and_an_undeclared_extra(tmp_path):
    """PyYAML comes with mmengine, so a function-local ``import yaml`` would run in every install
    of today, but posereid does not declare it; nor would it declare trackeval without its
    extra."""
    probe = tmp_path / 'probe.py'
    probe.write_text('def _probe():\n    import yaml.constructor\n')
    with_probe = undeclared_imports(third_party_imports([*MODULES.values(), probe]),
                                    CORE | OPTIONAL)
    without_extra = undeclared_imports(third_party_imports(MODULES.values()),
                                       CORE | (OPTIONAL - {'trackeval'}))
    assert [problem.split()[0] for problem in with_probe] == ['yaml']
    assert [problem.split()[0] for problem in without_extra] == ['trackeval']


@pytest.mark.slow
def test_every_module_imports_with_the_core_requirements_alone():
    """In a fresh interpreter where the extras' modules are absent (``None`` in ``sys.modules``:
    an import fails and ``importlib.util.find_spec`` finds nothing, as when not installed), every
    module of posereid imports."""
    absent = sorted(name for name, distribution in DISTRIBUTIONS.items()
                    if distribution in OPTIONAL)
    assert 'trackeval' in absent and 'mmdet' in absent
    script = ('import importlib, os, sys\n'
              f'sys.modules.update(dict.fromkeys({absent!r}))\n'
              'import posereid\n'
              'assert posereid.__file__.startswith(os.getcwd()), posereid.__file__\n'
              f'for name in {sorted(MODULES)!r}:\n'
              '    importlib.import_module(name)\n')
    run = subprocess.run([sys.executable, '-c', script], cwd=PACKAGE.parent, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
