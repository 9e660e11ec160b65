"""Provider documents in the provider admin: an inline to upload and list them, and the
one scoped view that hands a stored file out (MEDIA_ROOT is never served publicly)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from giftplatform.access import get_or_404, may, role_permits
from suppliers.forms import ProviderDocumentForm
from suppliers.models import Provider, ProviderDocument
from suppliers.services import provider_document_add


class ProviderDocumentInline(admin.TabularInline):
    model = ProviderDocument
    form = ProviderDocumentForm
    extra = 0
    can_delete = False  # documents are records: a replaced contract stays on file
    fields = ["doc_type", "upload", "download", "size_kb", "uploaded_by", "uploaded_at"]
    readonly_fields = ["download", "size_kb", "uploaded_by", "uploaded_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    def has_add_permission(self, request, obj=None):
        # Uploading is changing the provider: only who may change this provider.
        return (
            obj is not None
            and may(request.user, "change", obj)
            and super().has_add_permission(request, obj)
        )

    def has_change_permission(self, request, obj=None):
        return False  # existing documents are read-only; only new ones are added

    def has_view_permission(self, request, obj=None):
        return role_permits(request.user, "view", Provider) or super().has_view_permission(
            request, obj
        )

    @admin.display(description=_("file"))
    def download(self, document):
        if document.pk is None:
            return "-"
        url = reverse("admin:suppliers_provider_document", args=[document.pk])
        return format_html('<a href="{}">{}</a>', url, document.original_name)

    @admin.display(description=_("size (KB)"))
    def size_kb(self, document):
        return f"{document.size / 1024:.0f}" if document.size else "-"


def save_documents(request, formset) -> None:
    """Store the new documents of the inline through the service (the forms hold no file)."""
    # What the admin's change message reads, as a model formset's save() would set it.
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form in formset.forms:
        if form.instance.pk is not None or not form.has_changed():
            continue
        if form.cleaned_data.get("upload") is None:
            continue
        document = provider_document_add(
            actor=request.user,
            provider=formset.instance,
            doc_type=form.cleaned_data["doc_type"],
            uploaded=form.cleaned_data["upload"],
        )
        formset.new_objects.append(document)


def document_download_view(request, document_id):
    """The stored file as an attachment, for whoever may view providers; else 403/404."""
    if not role_permits(request.user, "view", Provider):
        raise PermissionDenied
    document = get_or_404(
        ProviderDocument.objects.select_related("provider"), request.user, "view", pk=document_id
    )
    get_or_404(Provider.objects.all(), request.user, "view", pk=document.provider_id)
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name or document.file.name.rsplit("/", 1)[-1],
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
