"""The workflow picker: each workflow with its description, and a form for its params."""

from __future__ import annotations

import mesop as me

from frontend_mesop import handlers
from frontend_mesop import styles as st
from frontend_mesop.params_form import FormField
from frontend_mesop.state import WorkflowCard


def picker(
    workflows: list[WorkflowCard], selected: str, form: dict[str, str], *, narrow: bool
) -> None:
    """The start page: pick a workflow, fill its params, start it."""
    with me.box(
        classes="aj-picker", style=me.Style(display="flex", flex_direction="column", gap=14)
    ):
        me.text("Start a chat", type="headline-5", style=me.Style(margin=me.Margin.all(0)))
        if not workflows:
            me.text(
                "No workflows yet: start a worker (agentjobs worker) and they appear here.",
                style=me.Style(color=st.MUTED),
            )
            return
        columns = "1fr" if narrow else "repeat(auto-fill, minmax(220px, 1fr))"
        with me.box(style=me.Style(display="grid", grid_template_columns=columns, gap=10)):
            for card in workflows:
                _card(card, card.name == selected)
        chosen = next((w for w in workflows if w.name == selected), None)
        if chosen is not None:
            _form(chosen, form, narrow=narrow)


def _card(card: WorkflowCard, chosen: bool) -> None:
    border = st.ACCENT if chosen else st.LINE
    with me.box(
        key=f"workflow:{card.name}",
        on_click=handlers.on_select_workflow,
        classes="aj-workflow" + (" aj-workflow-selected" if chosen else ""),
        style=me.Style(
            background=st.ACCENT_SOFT if chosen else st.CARD,
            border=me.Border.all(me.BorderSide(width=2, style="solid", color=border)),
            border_radius=12,
            padding=me.Padding.all(14),
            cursor="pointer",
        ),
    ):
        me.text(card.name, style=me.Style(font_weight=700, color=st.INK, overflow_wrap="anywhere"))
        me.text(
            card.description, style=me.Style(color=st.MUTED, font_size=14, margin=me.Margin(top=4))
        )


def _form(card: WorkflowCard, form: dict[str, str], *, narrow: bool) -> None:
    with me.box(classes="aj-params", style=st.card(narrow=narrow)):
        if card.fields:
            me.text("Settings", style=me.Style(font_weight=600, margin=me.Margin(bottom=8)))
        for field in card.fields:
            _field(card.name, field, form.get(field.name, field.default))
        me.button(f"Start {card.name}", on_click=handlers.on_start, type="flat", color="primary")


def _field(workflow: str, field: FormField, value: str) -> None:
    # The workflow is in the key so switching workflows never reuses another form's inputs.
    key = f"param:{field.name}"
    label = field.label + (" *" if field.required else "")
    with me.box(key=f"{workflow}.{key}.box", style=me.Style(margin=me.Margin(bottom=6))):
        if field.kind == "boolean":
            me.checkbox(label, checked=value == "true", key=key, on_change=handlers.on_param_check)
        elif field.kind == "enum":
            me.select(
                label=label,
                options=[me.SelectOption(label=o, value=o) for o in field.options],
                value=value,
                key=key,
                on_selection_change=handlers.on_param_select,
                appearance="outline",
                style=me.Style(width="100%"),
            )
        else:
            me.input(
                label=label,
                value=value,
                type="number" if field.kind in ("integer", "number") else "text",
                key=key,
                on_blur=handlers.on_param_blur,
                appearance="outline",
                hint_label=field.hint,
                subscript_sizing="dynamic",
                style=me.Style(width="100%"),
            )
