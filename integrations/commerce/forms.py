from django import forms

from integrations.commerce.models import Product, Warehouse

MAX_CHANGE = 1_000_000  # far beyond any real adjustment, far below the database's integer range


class StockAdjustForm(forms.Form):
    """A manual stock adjustment of one product in one of its company's warehouses."""

    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.none())
    quantity_change = forms.IntegerField(
        min_value=-MAX_CHANGE,
        max_value=MAX_CHANGE,
        help_text="Units to add; negative to take away (e.g. -2 for two damaged units).",
    )
    note = forms.CharField(
        max_length=255, required=False, help_text="Why: a count, damage, a found box… Kept in the ledger."
    )

    def __init__(self, *args, product: Product, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only the product's own company's warehouses: a posted id from elsewhere is invalid.
        self.fields["warehouse"].queryset = Warehouse.objects.filter(company_id=product.company_id)
        default = self.fields["warehouse"].queryset.filter(is_default=True).first()
        if default is not None:
            self.fields["warehouse"].initial = default.pk

    def clean_quantity_change(self) -> int:
        value = self.cleaned_data["quantity_change"]
        if value == 0:
            raise forms.ValidationError("Enter a change other than zero.")
        return value
