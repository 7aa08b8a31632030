"""The learned state of an RBM estimator as plain data, for :func:`tinyconv.save` and
:func:`tinyconv.load`."""
import numpy as np

from ..backend import to_numpy
from ..validation import float_dtype

KEYS = ("components", "intercept_visible", "intercept_hidden", "velocity", "chains", "mean_hidden", "epoch",
        "history")
FITTED = ("components_", "intercept_visible_", "intercept_hidden_", "n_features_in_", "history_")


def _copy(a):
    return None if a is None else np.array(to_numpy(a), copy=True)


def state_dict(rbm):
    """See :meth:`tinyconv.rbm.RBM.state_dict`."""
    if not hasattr(rbm, "components_"):
        return dict(components=None, intercept_visible=None, intercept_hidden=None, velocity=[], chains=None,
                    mean_hidden=None, epoch=0, history=[])
    return dict(components=_copy(rbm.components_), intercept_visible=_copy(rbm.intercept_visible_),
                intercept_hidden=_copy(rbm.intercept_hidden_), velocity=[_copy(v) for v in rbm._velocity],
                chains=_copy(rbm._chains), mean_hidden=_copy(rbm._mean_hidden), epoch=rbm._epoch,
                history=list(rbm.history_))


def _problems(rbm, state):
    """What keeps ``state`` from loading into ``rbm``: missing keys and wrong shapes."""
    problems = [f"missing: {key}" for key in KEYS if key not in state]
    n_features = np.shape(state.get("components"))[-1]
    shapes = dict(components=(rbm.n_components, n_features), intercept_visible=(n_features,),
                  intercept_hidden=(rbm.n_components,))
    problems += [f"{key}: expected shape {shape}, got {np.shape(state[key])}".replace(
                     f"({rbm.n_components}, {n_features})", f"({rbm.n_components}, n_features)")
                 for key, shape in shapes.items() if key in state and np.shape(state[key]) != shape]
    if "velocity" in state and [np.shape(v) for v in state["velocity"]] != list(shapes.values()):
        problems.append(f"velocity: expected shapes {list(shapes.values())}, got "
                        f"{[np.shape(v) for v in state['velocity']]}")
    return problems


def load_state_dict(rbm, state):
    """See :meth:`tinyconv.rbm.RBM.load_state_dict`."""
    if all(key in state for key in KEYS) and state["components"] is None:  # the state of an unfitted RBM
        for name in FITTED:
            rbm.__dict__.pop(name, None)
        return
    problems = _problems(rbm, state)
    if problems:
        raise ValueError("RBM state does not match this RBM:\n  " + "\n  ".join(problems))
    rbm._dtype = float_dtype("dtype", rbm.dtype) if rbm.dtype is not None else np.asarray(state["components"]).dtype
    array = lambda a: None if a is None else np.asarray(a, dtype=rbm._dtype).copy()  # noqa: E731
    rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_ = (
        array(state[key]) for key in ("components", "intercept_visible", "intercept_hidden"))
    rbm.n_features_in_ = rbm.components_.shape[1]
    rbm._velocity = [array(v) for v in state["velocity"]]
    rbm._chains, rbm._mean_hidden = array(state["chains"]), array(state["mean_hidden"])
    rbm._epoch, rbm.history_ = int(state["epoch"]), list(state["history"])
