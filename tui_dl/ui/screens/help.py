"""The help screen: every key, and what the charts show."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from tui_dl.i18n import N_, _
from tui_dl.ui.keys import help_rows
from tui_dl.ui.language import Relabels

HELP_TEMPLATE = N_("""\
# tui-dl keys

| key | action |
|---|---|
{keys}
| ctrl+p | command palette (every action, themes, the language) |
| tab / shift+tab | move between fields |

Function and ctrl keys work while a text field has focus.

On the Data tab's column list (a CSV file): `t` makes the highlighted column the target,
`x` leaves it out or uses it again (writing the "leave out" and "include" fields).

On the Training and Runs tabs: `]` / `[` more / less smoothing, `l` log-scale y,
`x` x axis by epoch / step / time, `z` zoom to the last N epochs.

On the Runs tab: `space` selects runs to overlay, `o` sorts by the next column, `r` reverses,
`/` filters, `m` switches the metric, `f` forks a run's settings into the builder,
`c` / `b` continue from its last / best checkpoint, `escape` leaves a text field.

The Insights tab's Predict view (`6`) runs the model on what you give it: for a table, a field per
column, prefilled with a validation row (`up` / `down` pick another, `escape` back to the view keys);
for images, draw with the arrows and `space` (pen down / up) or the mouse, `x` erases,
`c` clears, `v` loads a validation image; for 2-D data, move the cursor over the plane.
ctrl+e exports the model (ONNX, a PyTorch script, the predict command).

# What you see

- **loss**: the data loss (an L1 penalty is only in what is backpropagated, never drawn);
  grey is the training loss of each mini-batch (one update per batch),
  cyan the training loss per epoch (one pass over the data), orange the validation loss.
  The green line marks the epoch with the best validation loss.
- **overfitting**: when validation loss has risen beyond its epoch-to-epoch noise for several epochs
  while training loss kept falling (5-epoch medians compared), the metrics line says
  *overfitting since epoch N*; noise at a floor does not count.
- **accuracy** for classification (cross-entropy loss); **MAE** in the target's own units
  for regression (mean squared error loss on standardized targets); the magenta line on its right axis
  is the learning rate (a schedule's curve, an F8 change).
- **smoothing**: the bright line is an exponential moving average; the faint one behind it is the raw curve.
- **decision boundary** (2-D classification): the class the model predicts at each point of the plane,
  brighter where it is surer, with the data points on top. For 2-D regression: the predicted value
  on a colour scale (its range in the legend), each data point a dot coloured by its true value.
- **fit** (regression): real values in red, predictions in blue; for several inputs, predicted against true.
- **confusion matrix**: rows are the true classes, columns the predicted ones; the diagonal is right.
  Then each class's precision, recall, F1 and support, and macro averages. With many classes the most
  frequent are shown and the rest summed in *other*.
- **norms**: each layer's weight and gradient RMS per element per epoch (so layers of any size compare).
  When the gradient at layer 1 is a tiny fraction of the output layer's, the first layers barely learn:
  the vanishing gradient of deep sigmoid nets.

Press escape to close.
""")


class HelpScreen(ModalScreen[None], Relabels):
    """Keys and a short guide to the charts."""

    BINDINGS = [Binding("escape,f1,q", "dismiss", N_("Close"))]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body", classes="dialog"):
            yield Markdown(_(HELP_TEMPLATE).format(keys=help_rows()))

    def relabel(self) -> None:
        self.refresh(recompose=True)
