"""Reverse-mode automatic differentiation: Function, graph recording and the backward engine.

A :class:`Function` computes ``forward(*arrays)`` on raw backend arrays (NumPy or CuPy) and
``backward(*grad_outputs)`` returning one gradient array (or None) per input. Calling a
Function on Tensors records it as the ``creator`` of its outputs (define-by-run). The engine
walks the recorded graph iteratively, newest Function first (by generation), so graphs of any
depth backpropagate without recursion, and gradients of tensors used more than once add up.
Inside :func:`tinyconv.detect_anomaly` each Function also records where it was created and
every forward output and gradient is checked for NaN and Inf (see :mod:`tinyconv.anomaly`).

In-place changes are tracked as in PyTorch: each Tensor has a version counter (``_version``)
that optimizer steps, ``Tensor.copy_`` and assignments to ``.data`` bump; a recorded Function
keeps the versions of its inputs, and backward raises RuntimeError when one has moved on
(conservatively for every input, whether or not the Function saved it). A raw write into a
tensor's array (``x.data[...] = v``) cannot be seen, so ``.data`` is a read-only view while a
live graph has saved the tensor (on the CPU; see ``Tensor.data``).
"""
import contextlib
import heapq
import itertools
import threading
import weakref

from . import anomaly
from .backend import get_array_module


class _GradMode(threading.local):
    enabled = True  # the class attribute is what every new thread starts with


_grad_mode = _GradMode()


def is_grad_enabled():
    """Return True when operations are being recorded for backpropagation in this thread.

    Grad mode is per thread, as in PyTorch: every thread starts with it on, and
    :func:`no_grad`, :func:`enable_grad` and :class:`set_grad_enabled` change it for the
    calling thread only."""
    return _grad_mode.enabled


class set_grad_enabled:
    """Switch recording on (``mode=True``) or off for the calling thread, as PyTorch's
    ``set_grad_enabled``: as a function it takes effect at once; as a context manager the
    previous mode comes back on exit (also after an exception).

    Raises:
        TypeError: ``mode`` is not a bool.
    """

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"mode: expected a bool, got {type(mode).__name__} {mode!r}")
        self.mode, self.previous = mode, _grad_mode.enabled
        _grad_mode.enabled = mode

    def __enter__(self):
        _grad_mode.enabled = self.mode

    def __exit__(self, *exc_info):
        _grad_mode.enabled = self.previous


def no_grad():
    """Context manager in which this thread records no graph (inference, parameter updates)."""
    return _scoped_grad_mode(False)


def enable_grad():
    """Context manager in which this thread records again, e.g. inside :func:`no_grad`."""
    return _scoped_grad_mode(True)


@contextlib.contextmanager
def _scoped_grad_mode(mode):
    previous, _grad_mode.enabled = _grad_mode.enabled, mode
    try:
        yield
    finally:
        _grad_mode.enabled = previous


class Function:
    """Base class of differentiable operations.

    Subclasses implement ``forward(*arrays)`` returning an array or a tuple of arrays and
    ``backward(*grad_outputs)`` returning a gradient per input (a single array when there is one
    input, else a tuple; None for an input that needs none). ``self.needs_input_grad`` (a tuple
    of bools) is set before ``forward`` so that work for unused gradients can be skipped.
    """

    inputs = None
    generation = 0
    creation_site = None  # frames of the creation, recorded inside detect_anomaly() only

    def __call__(self, *inputs):
        tensors = [as_tensor(x) for x in inputs]
        arrays = [t._data for t in tensors]
        get_array_module(*arrays)
        needs = tuple([t.requires_grad for t in tensors]) if _grad_mode.enabled else (False,) * len(tensors)
        record = True in needs
        self.needs_input_grad = needs
        check = anomaly._mode.enabled
        if check:
            self.creation_site = anomaly.creation_site(skip=2)
        outputs = self.forward(*arrays)
        single = not isinstance(outputs, tuple)
        if single:
            outputs = (outputs,)
        if check:
            anomaly.check_forward(self, arrays, outputs)
        results = [wrap(y, record) for y in outputs]
        if record:
            self._record(tensors, results)
        return results[0] if single else tuple(results)

    def _record(self, tensors, results):
        """Make this Function the creator of ``results`` and remember its inputs and their
        versions for backward."""
        self.inputs = tensors
        self.saved_versions = [t._versions[0] for t in tensors]
        saver = weakref.ref(self)
        generation = 0
        for t in tensors:
            t._saver = saver
            if t.generation > generation:
                generation = t.generation
        self.generation = generation
        self.n_outputs = len(results)
        for index, result in enumerate(results):
            result.creator, result.output_index, result.generation = self, index, generation + 1

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, *grad_outputs):
        raise NotImplementedError

    def __repr__(self):
        return f"<{type(self).__name__}>"


def _accumulate(current, grad):
    return grad if current is None else current + grad


def run_backward(root, grad, retain_graph=False, captured=None):
    """Backpropagate ``grad`` (an array shaped like ``root``) from ``root`` through its graph.

    Leaf tensors with ``requires_grad`` accumulate into ``.grad``; intermediate gradients are
    kept only while needed, and every gradient has its tensor's dtype. Unless ``retain_graph``,
    each Function releases its inputs after its backward, and a second backward through it
    raises RuntimeError, before any gradient is computed or changed.

    With ``captured`` (a dict ``{id(tensor): None}``), no ``.grad`` changes: the gradients of
    those tensors are summed into the dict instead (see :func:`grad`). ``root`` and ``grad``
    may then be lists (several outputs).
    """
    counter = itertools.count()
    heap, seen = [], set()
    pending = {}  # id(Function) -> list of output gradients

    def push(tensor, g):
        f = tensor.creator
        if captured is not None and id(tensor) in captured:
            captured[id(tensor)] = _accumulate(captured[id(tensor)], g)
        if f is None:  # a leaf owns its .grad: never an array shared with another tensor
            if captured is None:
                tensor._accumulate_grad(g)
            return
        grads = pending.setdefault(id(f), [None] * f.n_outputs)
        grads[tensor.output_index] = _accumulate(grads[tensor.output_index], g)
        if id(f) not in seen:
            seen.add(id(f))
            heapq.heappush(heap, (-f.generation, next(counter), f))

    roots, grads = (root, grad) if isinstance(root, list) else ([root], [grad])
    check = anomaly.is_anomaly_enabled()
    for root, grad in zip(roots, grads):
        if check:
            anomaly.check_root_gradient(grad)
        _check_graph(root)
    for root, grad in zip(roots, grads):
        push(root, grad)
    while heap:
        _, _, f = heapq.heappop(heap)
        output_grads = pending.pop(id(f))  # None for an output that received no gradient
        input_grads = f.backward(*output_grads)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        if check:
            anomaly.check_backward(f, output_grads, input_grads)
        for tensor, g, needed in zip(f.inputs, input_grads, f.needs_input_grad):
            if needed and g is not None:
                data = tensor._data
                if g.shape != data.shape:
                    raise RuntimeError(f"{f!r}.backward returned a gradient of shape {g.shape} "
                                       f"for an input of shape {tensor.shape}")
                if g.dtype != data.dtype:
                    g = g.astype(data.dtype)
                push(tensor, g)
        if not retain_graph:
            f.inputs = None


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, as ``torch.autograd.grad``,
    without changing any ``.grad``.

    Args:
        outputs: a Tensor or a sequence of Tensors that require grad.
        inputs: a Tensor or a sequence of Tensors (leaves or not) that the outputs depend on.
        grad_outputs: a gradient per output (Tensor, array or None); None (or a None entry)
            means 1 for a one-element output.
        retain_graph: keep the graph for another backward (default: ``create_graph``).
        allow_unused: an input the outputs do not depend on gets None (else RuntimeError);
            ``materialize_grads=True`` gives zeros instead.

    Returns:
        A tuple of Tensors (not requiring grad), one per input, each shaped like its input.

    Raises:
        RuntimeError: an output that does not require grad, an omitted gradient of an output
            with more than one element, an unused input (see ``allow_unused``), or a freed graph.
        NotImplementedError: ``create_graph=True`` or ``is_grads_batched=True`` (tinyconv has no
            double backward: its Functions compute on raw arrays).
    """
    if create_graph or is_grads_batched:
        raise NotImplementedError("autograd.grad: tinyconv has no double backward (create_graph=True) "
                                  "nor batched gradients (is_grads_batched=True)")
    outputs, inputs = _sequence("outputs", outputs), _sequence("inputs", inputs)
    grad_outputs = [None] * len(outputs) if grad_outputs is None else _sequence("grad_outputs", grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad_outputs: expected {len(outputs)} gradients, one per output, got {len(grad_outputs)}")
    roots = []
    for i, (output, g) in enumerate(zip(outputs, grad_outputs)):
        if not output.requires_grad:
            raise RuntimeError(f"outputs[{i}]: element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None and output.numel() != 1:
            raise RuntimeError(f"grad_outputs[{i}]: grad can be implicitly created only for scalar outputs, "
                               f"got shape {tuple(output.shape)}")
        roots.append(output._root_gradient(g))
    captured = dict.fromkeys(id(t) for t in inputs)
    run_backward(list(outputs), roots, bool(create_graph if retain_graph is None else retain_graph), captured)
    results = []
    for i, t in enumerate(inputs):
        g = captured[id(t)]
        if g is None and materialize_grads:
            g = get_array_module(t._data).zeros_like(t._data)
        elif g is None and not allow_unused:
            raise RuntimeError(f"inputs[{i}]: one of the differentiated Tensors appears to not have been used "
                               "in the graph. Set allow_unused=True if this is the desired behavior.")
        results.append(None if g is None else Tensor(g))
    return tuple(results)


def _sequence(name, value):
    """``value`` (a Tensor or a sequence of them) as a list."""
    values = [value] if isinstance(value, Tensor) or value is None else list(value)
    for i, v in enumerate(values):
        if name != "grad_outputs" and not isinstance(v, Tensor):
            raise TypeError(f"{name}[{i}]: expected a Tensor, got {type(v).__name__}")
    return values


def _check_graph(root):
    """Raise RuntimeError if a Function reachable from ``root`` was freed by an earlier
    backward, or if one of its inputs changed in place since it was recorded (its ``_version``
    moved on: an optimizer step, ``copy_``, an assignment to ``.data``). Checked before the
    pass, so that no ``.grad`` changes on that error. (Leaf gradients are still written as the
    pass goes: holding them back to the end changed the order of frees enough that glibc
    unmapped and re-faulted the large im2col buffers on every step: 12 ms of CPU per LeNet-5
    step at batch 64 instead of 8.)"""
    stack, seen = [root.creator], set()
    while stack:
        f = stack.pop()
        if f is None or id(f) in seen:
            continue
        seen.add(id(f))
        if f.inputs is None:
            raise RuntimeError(f"backward(): the graph through {f!r} was freed by an earlier backward; "
                               "pass retain_graph=True to that call to backpropagate through it again")
        for index, (tensor, version) in enumerate(zip(f.inputs, f.saved_versions)):
            if tensor._version != version:
                raise RuntimeError(_modified_message(tensor, index, f, version))
        stack.extend(t.creator for t in f.inputs)


def _modified_message(tensor, index, function, version):
    name = getattr(tensor, "name", None)
    what = f"{tensor.dtype} {type(tensor).__name__} of shape {tensor.shape}" + (f" named {name!r}" if name else "")
    return (f"one of the variables needed for gradient computation has been modified by an inplace operation: "
            f"[{what}], input {index} of {function!r}, is at version {tensor._version}; expected version "
            f"{version} instead. Run backward before changing it (e.g. before optimizer.step()), or "
            f"compute it again after the change")


def is_live(saver):
    """True if ``saver`` (a weak reference to a Function) still refers to a recorded Function
    that can backpropagate: not garbage-collected, and its inputs not freed by a backward."""
    function = saver()
    return function is not None and function.inputs is not None


from .tensor import Tensor, as_tensor, wrap  # noqa: E402  (tensor.py needs this module first)
