"""Company walls for the admin.

A merchant (a staff user of one company) sees and changes only their own company's records; ops
staff and superusers see every company. `CompanyScopedAdmin` builds the wall into every path the
admin offers: the changelist and its filters' choices, change/add/delete/history pages (they all
load the object through `get_queryset`), form selects, raw-id and autocomplete lookups (they use
the related model's admin queryset or the form field's queryset, both scoped here), exports and
imports (through `CompanyScopedImportExportMixin`). A merchant's new records get their company:
the company field is shown fixed (disabled, one choice), so nothing posted can change it.

Use it in any app:

    @admin.register(ShopMapping)
    class ShopMappingAdmin(CompanyScopedAdmin):
        company_field = "settings__company"   # the ORM path from the model to its Company

    class MappingLineInline(CompanyScopedInline, admin.TabularInline):
        model = MappingLine                   # path found from the model (see below)

    @admin.register(Product)                  # with django-import-export, in this order:
    class ProductAdmin(CompanyScopedImportExportMixin, ImportExportMixin, CompanyScopedAdmin): ...

`company_field` may be left out when the model has a `company` foreign key or declares a class
attribute `company_field = "order__company"`. A model reached through a foreign key is scoped by
its own registered admin's path, else by that model's declaration. The `admin/r/` shortcut is
guarded by `company_scoped_shortcut` (routed in lightsync/urls.py). Custom views on a scoped
admin must load objects with `self.get_object(request, id)`, never with the model's manager.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.filters import RelatedFieldListFilter
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_urls import admin_urlname
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.urls import reverse

from integrations.core.exports import dataset_formulae_neutralised

COMPANY_MODEL = "commerce.Company"


def company_model() -> type[models.Model]:
    # Resolved lazily: core is the shared kernel and must import before commerce is ready.
    return apps.get_model(COMPANY_MODEL)


def sees_all_companies(user: Any) -> bool:
    """Ops staff and superusers work across companies; everybody else is walled in."""
    if not getattr(user, "is_active", False):
        return False
    return bool(user.is_superuser or getattr(user, "is_ops_staff", False))


def user_company_id(user: Any) -> int | None:
    return getattr(user, "company_id", None)


def _model_company_path(model: type[models.Model]) -> str | None:
    if model is company_model():
        return "pk"
    declared = getattr(model, "company_field", None)
    if isinstance(declared, str):
        return declared
    try:
        field = model._meta.get_field("company")
    except FieldDoesNotExist:
        return None
    if field.is_relation and field.related_model is company_model():
        return "company"
    return None


def company_path_for(model: type[models.Model], admin_site: admin.AdminSite | None = None) -> str | None:
    """The ORM path from `model` to its Company, or None when the model belongs to no company."""
    model_admin = (admin_site or admin.site)._registry.get(model)
    if isinstance(model_admin, CompanyScopedMixin):
        return model_admin.company_path
    return _model_company_path(model)


def scope_to_company(
    queryset: models.QuerySet, user: Any, path: str | None, admin_site: admin.AdminSite | None = None
) -> models.QuerySet:
    """Limit `queryset` to the user's company (everything for ops staff).

    A model that belongs to no company (path None) is left alone: walls are for tenant data.
    """
    if path is None or sees_all_companies(user):
        return queryset
    company_id = user_company_id(user)
    if company_id is None:
        return queryset.none()
    return queryset.filter(**{path: company_id})


class ScopedForeignKeyRawIdWidget(ForeignKeyRawIdWidget):
    """Shows the label of the chosen object only when the user may see it.

    The stock widget looks the value up on the model's default manager, so a value typed or
    posted by hand (another company's id) would print that object's name beside the input.
    """

    def __init__(self, rel, admin_site, queryset: models.QuerySet, **kwargs):
        super().__init__(rel, admin_site, **kwargs)
        self.visible = queryset

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field().name
        try:
            visible = self.visible.filter(**{key: value}).exists()
        except (ValueError, TypeError, ValidationError):
            visible = False
        if not visible:
            return "", ""
        return super().label_and_url_for_value(value)


class CompanyRelatedFieldListFilter(RelatedFieldListFilter):
    """A related-field filter whose choices are only the user's company's objects."""

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        related = field.related_model
        path = company_path_for(related, model_admin.admin_site)
        if path is None or sees_all_companies(request.user):
            return field.get_choices(include_blank=False, ordering=ordering)
        visible = scope_to_company(related._default_manager.all(), request.user, path)
        return field.get_choices(
            include_blank=False, limit_choices_to={"pk__in": visible.values("pk")}, ordering=ordering
        )


class CompanyScopedMixin:
    """What model admins and inlines share: querysets and form fields behind the wall."""

    # The ORM path from the model to its Company ("company", "product__company"); by default the
    # model's own `company_field` attribute or its `company` foreign key.
    company_field: str | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.company_path is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__}: set company_field, the path from {self.model.__name__} to its Company."
            )

    @property
    def company_path(self) -> str | None:
        return self.company_field or _model_company_path(self.model)

    def sees_all(self, request: HttpRequest) -> bool:
        return sees_all_companies(request.user)

    def is_walled_out(self, request: HttpRequest) -> bool:
        """A staff user who is neither ops staff nor in a company has no company to see."""
        return not self.sees_all(request) and user_company_id(request.user) is None

    def get_queryset(self, request):
        return scope_to_company(super().get_queryset(request), request.user, self.company_path)

    def has_view_permission(self, request, obj=None):
        return not self.is_walled_out(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return not self.is_walled_out(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return not self.is_walled_out(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self.is_walled_out(request) and super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is None or not hasattr(formfield, "queryset"):
            return formfield
        related = db_field.related_model
        formfield.queryset = scope_to_company(
            formfield.queryset, request.user, company_path_for(related, self.admin_site)
        )
        if isinstance(formfield.widget, ForeignKeyRawIdWidget):
            formfield.widget = ScopedForeignKeyRawIdWidget(
                db_field.remote_field,
                self.admin_site,
                queryset=formfield.queryset,
                using=kwargs.get("using"),
            )
        if related is company_model() and not self.sees_all(request):
            # A merchant's records always belong to their own company: fixed, never chosen.
            # A disabled field ignores what is posted, and its queryset holds one company.
            formfield.disabled = True
            formfield.initial = user_company_id(request.user)
            formfield.empty_label = None
        return formfield

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if formfield is None or not hasattr(formfield, "queryset"):
            return formfield
        # Django's many-to-many raw-id widget prints no labels, so scoping the choices suffices.
        formfield.queryset = scope_to_company(
            formfield.queryset, request.user, company_path_for(db_field.related_model, self.admin_site)
        )
        return formfield


class CompanyScopedAdmin(CompanyScopedMixin, admin.ModelAdmin):
    """A ModelAdmin behind the company wall. Set `company_field` to the path to the Company."""

    def get_list_filter(self, request):
        scoped = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, type):  # a SimpleListFilter scopes its own choices
                scoped.append(entry)
                continue
            name, filter_class = (entry, None) if isinstance(entry, str) else (entry[0], entry[1])
            if name == self.company_path and not self.sees_all(request):
                continue  # one company: nothing to filter by
            if filter_class in (None, RelatedFieldListFilter) and self._is_relation(name):
                scoped.append((name, CompanyRelatedFieldListFilter))
            else:
                scoped.append(entry)
        return scoped

    def _is_relation(self, path: str) -> bool:
        try:
            field = get_fields_from_path(self.model, path)[-1]
        except (FieldDoesNotExist, NotRelationField):
            return False
        return bool(getattr(field, "is_relation", False))

    def get_list_display(self, request):
        display = super().get_list_display(request)
        if self.sees_all(request):
            return display
        return [column for column in display if column != self.company_path]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if not self.sees_all(request):
            initial.pop(self.company_path, None)
        return initial

    def save_model(self, request, obj, form, change):
        if not change and not self.sees_all(request) and self._has_direct_company_field():
            setattr(obj, f"{self.company_path}_id", user_company_id(request.user))
        super().save_model(request, obj, form, change)

    def _has_direct_company_field(self) -> bool:
        try:
            field = self.model._meta.get_field(self.company_path)
        except FieldDoesNotExist:
            return False
        return field.is_relation and field.related_model is company_model()


class CompanyScopedInline(CompanyScopedMixin):
    """Mix into TabularInline/StackedInline: `class LineInline(CompanyScopedInline, admin.TabularInline)`."""


def _with_company_field(form_class: type[forms.Form]) -> type[forms.Form]:
    """The import (and confirm) form plus the company an ops staff member imports into."""
    return type(
        f"Company{form_class.__name__}",
        (form_class,),
        {"company": forms.ModelChoiceField(queryset=None, required=True, label="Import into company")},
    )


class CompanyScopedImportExportMixin:
    """django-import-export behind the wall.

    Exports use the admin's (scoped) queryset, neutralise formula-looking cells
    (integrations.core.exports) and answer a filter that does not apply as the changelist does (a
    redirect, not a 500). Imports hand the resource one `company`: the merchant's own, whatever is
    posted; for ops staff the company picked in the import form and carried through the confirm
    step. The resource must scope its lookups to that company and set
    it on every row (see integrations.commerce.resources.CompanyResource).
    """

    def has_export_permission(self, request):
        return super().has_export_permission(request) and self.has_view_permission(request)

    def has_import_permission(self, request):
        return super().has_import_permission(request) and self.has_add_permission(request)

    def get_valid_export_item_pks(self, request):
        return self.get_queryset(request).values_list("pk", flat=True)

    def get_data_for_export(self, request, queryset, **kwargs):
        # Every export, whatever its format: merchant text must not run as a spreadsheet formula.
        return dataset_formulae_neutralised(super().get_data_for_export(request, queryset, **kwargs))

    def export_action(self, request):
        try:
            return super().export_action(request)
        except IncorrectLookupParameters:
            # A filter that does not apply here (a company filter the merchant's list does not
            # have, a field the model lacks): answered as the changelist answers it, not a 500.
            changelist = reverse(admin_urlname(self.opts, "changelist"), current_app=self.admin_site.name)
            return HttpResponseRedirect(f"{changelist}?{ERROR_FLAG}=1")

    def get_import_form_class(self, request):
        form_class = super().get_import_form_class(request)
        return _with_company_field(form_class) if self.sees_all(request) else form_class

    def get_confirm_form_class(self, request):
        form_class = super().get_confirm_form_class(request)
        return _with_company_field(form_class) if self.sees_all(request) else form_class

    def create_import_form(self, request):
        form = super().create_import_form(request)
        if "company" in form.fields:
            form.fields["company"].queryset = company_model()._default_manager.all()
        return form

    def create_confirm_form(self, request, import_form=None):
        form = super().create_confirm_form(request, import_form)
        if "company" in form.fields:
            form.fields["company"].queryset = company_model()._default_manager.all()
            form.fields["company"].widget = forms.HiddenInput()
        return form

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None and "company" in import_form.cleaned_data:
            initial["company"] = import_form.cleaned_data["company"].pk
        return initial

    def import_company(self, request, form) -> models.Model | None:
        if not self.sees_all(request):
            company_id = user_company_id(request.user)
            return company_model()._default_manager.filter(pk=company_id).first() if company_id else None
        if form is not None and form.is_bound and form.is_valid():
            return form.cleaned_data.get("company")
        return None

    def get_import_resource_kwargs(self, request, **kwargs):
        return {"company": self.import_company(request, kwargs.get("form"))}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {}


def company_scoped_shortcut(request: HttpRequest, content_type_id: int, object_id: str):
    """The admin's "view on site" redirect (`admin/r/`), only for objects the user may view.

    Django's own view looks the object up with no permission check, so it would confirm that
    another company's object exists and reveal its public URL.
    """
    try:
        content_type = ContentType.objects.get_for_id(content_type_id)
    except ContentType.DoesNotExist as exc:
        raise Http404("No such object.") from exc
    model = content_type.model_class()
    model_admin = admin.site._registry.get(model) if model else None
    if model_admin is None or not model_admin.has_view_or_change_permission(request):
        raise Http404("No such object.")
    try:
        visible = model_admin.get_queryset(request).filter(pk=object_id).exists()
    except (ValueError, TypeError, ValidationError):
        visible = False
    if not visible:
        raise Http404("No such object.")
    return shortcut(request, content_type_id, object_id)
