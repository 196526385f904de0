"""Helpers for driving the admin like a browser does."""

import csv
import io

from django.forms import CheckboxInput, MultiWidget
from django.urls import reverse


def admin_url(model_name: str, view: str, *args) -> str:
    return reverse(f"admin:commerce_{model_name}_{view}", args=args)


def _form_data(form, data: dict) -> None:
    for bound in form:
        if bound.field.disabled:
            continue
        value = bound.value()
        widget = bound.field.widget
        if isinstance(widget, CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(widget, MultiWidget):
            parts = widget.decompress(value) if value is not None and not isinstance(value, list) else value
            for index, part in enumerate(parts or []):
                if part is not None:
                    data[f"{bound.html_name}_{index}"] = str(part)
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(v) for v in value]
        elif value is not None:
            data[bound.html_name] = str(value)


def changeform_data(response) -> dict:
    """What the browser would post back from an admin add/change page, unchanged."""
    data: dict = {}
    _form_data(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _form_data(formset.management_form, data)
        for form in formset.forms:
            _form_data(form, data)
    return data


def export_data(response) -> dict:
    """The export form's fields, every column ticked, CSV chosen."""
    form = response.context["form"]
    data = {name: "on" for name, field in form.fields.items() if getattr(field, "is_selectable_field", False)}
    data["resource"] = "0"
    data["format"] = next(value for value, label in form.fields["format"].choices if label == "csv")
    return data


def csv_rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
