"""One figure per image: the input, then each stage's teacher/student maps."""
from typing import Optional, Sequence

from matplotlib.figure import Figure

from .attention_maps import ImageAttention
from .overlay import overlay_attention

PANEL_INCHES = 2.2
DPI = 100


def figure_pixels(num_stages: int,
                  panel_inches: float = PANEL_INCHES,
                  dpi: int = DPI) -> tuple:
    """(height, width) in pixels of :func:`draw_attention_figure`'s PNG."""
    side = panel_inches * dpi
    return int(round(2 * side)), int(round((num_stages + 1) * side))


def _class_name(index: Optional[int],
                class_names: Optional[Sequence[str]]) -> str:
    if index is None:
        return '?'
    if class_names is not None and 0 <= index < len(class_names):
        return f'{index} ({class_names[index]})'
    return str(index)


def draw_attention_figure(item: ImageAttention,
                          class_names: Optional[Sequence[str]] = None,
                          cmap: str = 'inferno',
                          alpha: float = 0.5,
                          panel_inches: float = PANEL_INCHES,
                          dpi: int = DPI) -> Figure:
    """Draw one image's attention, two rows by ``1 + num_stages`` columns.

    Column 0: the input (top) and its label and both predictions (bottom).
    Column ``1 + i``: stage ``i``'s teacher map (top) and student map
    (bottom) over the input; titles give the stage, the map's own size and,
    for the student, the cosine similarity of the squeezed descriptors.

    Args:
        item (ImageAttention): From
            :func:`~mmhkd.visualization.attention_maps.compute_attention`.
        class_names (Sequence[str], optional): Names of the classes.
        cmap (str): Colour map of the overlays. Defaults to 'inferno'.
        alpha (float): Weight of the overlay. Defaults to 0.5.
        panel_inches (float): Side of one panel in inches.
        dpi (int): Dots per inch; the PNG is :func:`figure_pixels` in size
            when saved with ``fig.savefig(path, dpi=dpi)``.

    Returns:
        Figure: Not attached to pyplot (no global state, any backend).
    """
    columns = len(item.stages) + 1
    fig = Figure(figsize=(columns * panel_inches, 2 * panel_inches), dpi=dpi)
    axes = fig.subplots(2, columns, squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    grey = item.image.ndim == 2
    axes[0, 0].imshow(item.image, cmap='gray' if grey else None,
                      vmin=0, vmax=255, interpolation='nearest')
    axes[0, 0].set_title(f'input #{item.index}', fontsize=8)
    axes[1, 0].axis('off')
    axes[1, 0].text(
        0.05, 0.5,
        f'label: {_class_name(item.label, class_names)}\n'
        f'teacher: {_class_name(item.teacher_pred, class_names)}\n'
        f'student: {_class_name(item.student_pred, class_names)}',
        fontsize=8, va='center', transform=axes[1, 0].transAxes)
    for stage in item.stages:
        column = stage.stage + 1
        for row, who, attention, size in (
                (0, 'teacher', stage.teacher_map, stage.teacher_size),
                (1, 'student', stage.student_map, stage.student_size)):
            axes[row, column].imshow(
                overlay_attention(item.image, attention, cmap, alpha),
                interpolation='nearest')
            title = f'{who} stage {stage.stage} ({size[0]}x{size[1]})'
            if row == 1:
                title += f'\ncos(t, s) = {stage.cosine:.3f}'
            axes[row, column].set_title(title, fontsize=8)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.86,
                        wspace=0.08, hspace=0.35)
    return fig
