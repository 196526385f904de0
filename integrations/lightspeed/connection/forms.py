"""Forms of the Lightspeed POS pages: General Settings and Manage Lightspeed Shops.

Every choice offered is the company's own (ops staff editing another company see that
company's shops and warehouses, not their own); the services check the same rules again.
"""

from __future__ import annotations

from django import forms
from django.db.models import Q

from integrations.commerce.models import Warehouse
from integrations.lightspeed.connection.services.settings import (
    CLIENT_SECRET_MAX_LENGTH,
    SettingsChangeError,
    lightspeed_settings_validate,
    redirect_uri_problem,
)
from integrations.lightspeed.models import (
    LightspeedEmployee,
    LightspeedRegister,
    LightspeedSettings,
    LightspeedShop,
    default_redirect_uri,
)
from integrations.lightspeed.shops.selectors import price_level_choices
from integrations.lightspeed.shops.services.mapping import ShopMappingRow

# DESIGN.md §2, in this order. The three token rows are shown, never edited.
GENERAL_FIELDS = (
    "enabled",
    "shops_mapping_enabled",
    "account_id",
    "shop",
    "register",
    "employee",
    "redirect_uri",
    "auth_token",
    "refresh_token",
    "token_received_at",
    "returns_warehouse",
    "order_download_enabled",
    "inventory_upload_enabled",
    "price_upload_enabled",
    "cost_upload_enabled",
    "auto_enable_new_products",
    "auto_create_enabled_products",
    "use_company_address",
)
READ_ONLY_FIELDS = frozenset({"auth_token", "refresh_token", "token_received_at"})
ADVANCED_FIELDS = ("client_id", "client_secret", "order_download_start", "price_level")

# Plainer words than the model's help texts where the page needs more context.
HELP = {
    "enabled": "The master switch. While it is off, nothing is downloaded or uploaded for this company. "
    "It can only be turned on once Fetch Token has connected an account.",
    "shops_mapping_enabled": "On: each Lightspeed shop gets its own warehouses, employee and register "
    "(Actions → Manage Lightspeed Shops). Off: the single shop, register and employee chosen below apply.",
    "account_id": "Your Lightspeed account (Site) ID. Fetch Token fills it in; a token for a different "
    "account is refused.",
    "shop": "The Lightspeed shop whose sales and stock LightSync handles while shops mapping is off.",
    "register": "The register LightSync's writes are recorded against while shops mapping is off. "
    "It must be a register of the Shop Name above.",
    "employee": "The employee LightSync's writes are recorded against while shops mapping is off.",
    "redirect_uri": "Copy this into the Redirect URI of the API client you created at Lightspeed: the two "
    "must match exactly, or Fetch Token fails.",
    "auth_token": "Filled in by Fetch Token and renewed automatically. Never shown in full.",
    "refresh_token": "Filled in by Fetch Token; Lightspeed replaces it on every renewal. Never shown in full.",
    "token_received_at": "When Fetch Token received the current token pair.",
    "returns_warehouse": "Where items returned in a Lightspeed shop are received — normally a warehouse "
    "that is not sellable, so they are inspected before being sold again.",
    "order_download_enabled": "Download completed Lightspeed sales as Local Store orders, about every minute.",
    "inventory_upload_enabled": "Send each shop's quantity on hand (the stock of its mapped warehouses) "
    "to Lightspeed.",
    "price_upload_enabled": "Send product prices to Lightspeed.",
    "cost_upload_enabled": "Send product costs to Lightspeed.",
    "auto_enable_new_products": "Products created in LightSync are enabled for Lightspeed right away.",
    "auto_create_enabled_products": "Enabled products that Lightspeed does not have yet are created there.",
    "use_company_address": "Orders get the company's address as billing and shipping address instead "
    "of the customer's.",
    "client_id": "Optional: the Client ID of the API client you created at Lightspeed. Leave empty to use "
    "this server's.",
    "client_secret": "Optional: that API client's secret. Leave empty to keep the stored one. Never shown.",
    "order_download_start": "Sales completed before this time are never downloaded.",
    "price_level": "The Lightspeed price level that receives each product's site price (Enable Price Upload). "
    "Your price levels come with Re-Download Lightspeed POS Shops; until then Default, MSRP and Online "
    "are offered.",
}


def field_label(name: str) -> str:
    return str(LightspeedSettings._meta.get_field(name).verbose_name)


def field_help(name: str) -> str:
    return HELP.get(name) or str(LightspeedSettings._meta.get_field(name).help_text)


class RegisterChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: LightspeedRegister) -> str:
        return f"{obj.name} ({obj.register_id}) — {obj.shop.name}{' (archived)' if obj.archived else ''}"


class ShopChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: LightspeedShop) -> str:
        return f"{obj.name} ({obj.shop_id}){' (archived)' if obj.archived else ''}"


class WarehouseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Warehouse) -> str:
        return f"{obj.name}{'' if obj.is_sellable else ' (not sellable)'}"


def _open_or_current(queryset, current_id):
    """Archived records are offered only when already chosen, so a save never drops them."""
    return queryset.filter(Q(archived=False) | Q(pk=current_id or 0))


class LightspeedSettingsForm(forms.ModelForm):
    shop = ShopChoiceField(queryset=LightspeedShop.objects.none(), required=False, label=field_label("shop"))
    register = RegisterChoiceField(
        queryset=LightspeedRegister.objects.none(), required=False, label=field_label("register")
    )
    returns_warehouse = WarehouseChoiceField(
        queryset=Warehouse.objects.none(), required=False, label=field_label("returns_warehouse")
    )
    # Not a URLField: its validator refuses single-label hosts ("lightsync", "testserver") that
    # internal deployments use; the service's redirect_uri_problem is the one rule (clean_redirect_uri).
    redirect_uri = forms.CharField(label=field_label("redirect_uri"), max_length=500)
    client_secret = forms.CharField(
        label=field_label("client_secret"),
        required=False,
        # Encrypted (a TextField underneath): bounded here and in the service.
        max_length=CLIENT_SECRET_MAX_LENGTH,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    # Not required: a form posted without it (an older page) keeps the stored level.
    price_level = forms.TypedChoiceField(
        label=field_label("price_level"), coerce=int, choices=(), required=False, empty_value=None
    )
    order_download_start = forms.DateTimeField(
        label=field_label("order_download_start"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )

    class Meta:
        model = LightspeedSettings
        fields = [name for name in GENERAL_FIELDS if name not in READ_ONLY_FIELDS] + list(ADVANCED_FIELDS)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        instance: LightspeedSettings = self.instance
        company_id = instance.company_id
        self.fields["shop"].queryset = _open_or_current(
            LightspeedShop.objects.filter(company_id=company_id), instance.shop_id
        )
        self.fields["register"].queryset = _open_or_current(
            LightspeedRegister.objects.filter(company_id=company_id), instance.register_id
        ).select_related("shop")
        self.fields["employee"].queryset = _open_or_current(
            LightspeedEmployee.objects.filter(company_id=company_id), instance.employee_id
        )
        self.fields["returns_warehouse"].queryset = Warehouse.objects.filter(company_id=company_id)
        self.fields["price_level"].choices = price_level_choices(company_id, instance.price_level)
        if not instance.redirect_uri:
            self.initial["redirect_uri"] = default_redirect_uri()
        for name, formfield in self.fields.items():
            formfield.help_text = field_help(name)
            if type(formfield.widget) in (forms.TextInput, forms.URLInput):
                formfield.widget.attrs.setdefault("class", "vTextField")

    def clean_redirect_uri(self) -> str:
        value = self.cleaned_data["redirect_uri"].strip()
        problem = redirect_uri_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean_client_secret(self) -> str:
        # An empty password box means "unchanged": the stored secret is never sent to the page.
        return self.cleaned_data.get("client_secret") or self.instance.client_secret

    def clean_order_download_start(self):
        value = self.cleaned_data.get("order_download_start")
        stored = self.initial.get("order_download_start")
        # The page shows (and posts back) the time to the minute: the stored time within that
        # minute is not a change, and its seconds are kept.
        if value and stored and value == stored.replace(second=0, microsecond=0):
            return stored
        return value

    def clean_price_level(self) -> int:
        value = self.cleaned_data.get("price_level")
        return self.instance.price_level if value is None else value

    def _get_validation_exclusions(self) -> set[str]:
        # The model's URLValidator would undo the service's rule (single-label hosts are fine).
        return {*super()._get_validation_exclusions(), "redirect_uri"}

    def _post_clean(self) -> None:
        super()._post_clean()  # the instance now holds the submitted values
        if self.errors:
            return
        try:
            lightspeed_settings_validate(
                self.instance,
                was_enabled=bool(self.initial.get("enabled")),
                was_price_level=self.initial.get("price_level"),
            )
        except SettingsChangeError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)

    def changes(self) -> dict:
        """Field name → new value, for the fields the person changed.

        A value posted back as it was stored (an empty Client Secret box, the start date shown to
        the minute) differs from the form's initial text but is no change.
        """
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in self.cleaned_data and self.cleaned_data[name] != self.initial.get(name)
        }


class ShopMappingForm(forms.Form):
    """One row per downloaded shop: `shop_<pk>-warehouses` (ordered ids, comma-separated),
    `shop_<pk>-employee`, `shop_<pk>-register`."""

    def __init__(self, *args, shops, warehouses, employees, **kwargs) -> None:
        """`warehouses`: all of the company's; only the sellable ones can be mapped."""
        super().__init__(*args, **kwargs)
        self.shops = list(shops)
        self.all_warehouses = {w.pk: w for w in warehouses}
        self.warehouses = [w for w in self.all_warehouses.values() if w.is_sellable]
        warehouse_ids = {w.pk for w in self.warehouses}
        for shop in self.shops:
            prefix = f"shop_{shop.pk}"
            links = list(shop.warehouse_links.all())
            self.fields[f"{prefix}-warehouses"] = OrderedIdsField(
                allowed=warehouse_ids,
                names={pk: w.name for pk, w in self.all_warehouses.items()},
                required=False,
                initial=",".join(str(link.warehouse_id) for link in links),
                label=f"{shop.name}: warehouses",
            )
            self.fields[f"{prefix}-employee"] = forms.ModelChoiceField(
                queryset=_open_or_current(employees, shop.employee_id),
                required=False,
                initial=shop.employee_id,
                label=f"{shop.name}: employee",
            )
            self.fields[f"{prefix}-register"] = forms.ModelChoiceField(
                queryset=_open_or_current(shop.registers.all(), shop.register_id),
                required=False,
                initial=shop.register_id,
                label=f"{shop.name}: register",
                error_messages={"invalid_choice": "Choose one of this shop's registers."},
            )

    def rows(self) -> list[dict]:
        # Every mapped warehouse is shown, also one that stopped being sellable, so the person
        # sees why SAVE refuses it and can remove it.
        warehouses = self.all_warehouses
        rows = []
        for shop in self.shops:
            prefix = f"shop_{shop.pk}"
            field = self[f"{prefix}-warehouses"]
            value = field.value() or ""
            chosen = []
            for part in str(value).split(","):
                if part.strip().isdigit() and int(part) in warehouses:
                    chosen.append(warehouses[int(part)])
            rows.append(
                {
                    "shop": shop,
                    "warehouses": field,
                    "chosen_warehouses": chosen,
                    "employee": self[f"{prefix}-employee"],
                    "register": self[f"{prefix}-register"],
                }
            )
        return rows

    def mapping_rows(self) -> list[ShopMappingRow]:
        return [
            ShopMappingRow(
                shop_id=shop.pk,
                warehouse_ids=tuple(self.cleaned_data[f"shop_{shop.pk}-warehouses"]),
                employee_id=getattr(self.cleaned_data[f"shop_{shop.pk}-employee"], "pk", None),
                register_id=getattr(self.cleaned_data[f"shop_{shop.pk}-register"], "pk", None),
            )
            for shop in self.shops
        ]


class OrderedIdsField(forms.CharField):
    """Warehouse ids in drawing order, as the ordering widget posts them: "3,1,4"."""

    widget = forms.HiddenInput

    def __init__(self, *, allowed: set[int], names: dict[int, str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.allowed = allowed
        self.names = names

    def to_python(self, value) -> list[int]:
        text = super().to_python(value)
        ids: list[int] = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            if part.isdigit() and int(part) in self.names and int(part) not in self.allowed:
                raise forms.ValidationError(
                    f"{self.names[int(part)]} is not sellable, so its stock cannot be offered in a shop: remove it."
                )
            if not part.isdigit() or int(part) not in self.allowed:
                raise forms.ValidationError(
                    "Choose warehouses from the list: only the company's sellable warehouses can be mapped."
                )
            if int(part) in ids:
                raise forms.ValidationError("A warehouse is listed twice.")
            ids.append(int(part))
        return ids
