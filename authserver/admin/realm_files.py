"""The console's realm-file pages: upload, preview what would change, confirm; and download.

Between the preview and the confirmation the file waits read, its credentials hashed
(realmfile/pending.py), never in the page or the session. Importing a new realm is for
superusers; replacing a realm is for whoever may change its settings, users and clients, and
grant every admin role held there now or mapped by the file (``check_replacement`` of
accounts.permissions); downloading it, every password and secret hash in it, needs the same
(``check_export``). Both leave an admin event; the file's secrets are never recorded.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View

from accounts import permissions
from accounts.administrators import administers
from accounts.console_audit import record
from accounts.models import MASTER_REALM, Realm
from authserver.realmfile import exporter, pending, reader, report
from authserver.realmfile.errors import RealmFileError
from authserver.realmfile.importer import import_realm
from authserver.realmfile.preview import admin_roles_mapped, changes_admin_api_door, preview
from authserver.realmfile.schema import RealmSpec

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(label="Realm file (JSON)", help_text="A Keycloak realm export.")


class ImportView(View):
    model_admin = None

    def _context(self, request, **extra):
        return {
            **self.model_admin.admin_site.each_context(request),
            "title": "Import a realm file",
            "opts": Realm._meta,
            **extra,
        }

    def get(self, request):
        return TemplateResponse(
            request, "admin/console/realm_import.html", self._context(request, form=UploadForm())
        )

    def post(self, request):
        if "cancel" in request.POST:
            pending.drop(request.user.pk)
            messages.info(request, "Nothing was imported.")
            return HttpResponseRedirect(reverse("admin:accounts_realm_import"))
        if "confirm" in request.POST:
            return self._confirm(request)
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._show(request, form)
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            form.add_error("file", "The file is too large.")
            return self._show(request, form)
        try:
            text = upload.read().decode("utf-8")
            reading = reader.read(reader.parse(text))
        except UnicodeDecodeError:
            form.add_error("file", "The file is not UTF-8 text.")
            return self._show(request, form)
        except RealmFileError as error:
            form.add_error("file", str(error))
            return self._show(request, form)
        self._check_allowed(request, reading.realm)
        weak_secrets = report.weak_secrets(reading.realm)
        token = pending.keep(request.user.pk, reading.realm)
        context = self._context(
            request,
            title=f"Import realm {reading.realm.name}?",
            preview=preview(reading.realm),
            ignored=reading.ignored,
            ignored_by_kind=report.ignored_by_kind(reading.ignored),
            notes=reading.notes,
            new_secrets=[
                client.client_id for client in reading.realm.clients if client.generated_secret
            ],
            weak_secrets=weak_secrets,
            token=token,
        )
        return TemplateResponse(request, "admin/console/realm_import_preview.html", context)

    def _show(self, request, form):
        return TemplateResponse(
            request, "admin/console/realm_import.html", self._context(request, form=form)
        )

    def _check_allowed(self, request, spec: RealmSpec) -> Realm | None:
        """The realm the file would replace (None: a new one), if this user may import it."""
        name = spec.name
        existing = Realm.objects.filter(name=name).first()
        if existing is None:
            if not request.user.is_superuser:
                raise PermissionDenied("Only a superuser creates realms.")
            return None
        if name == MASTER_REALM:
            raise PermissionDenied("The master realm is never replaced.")
        if not administers(request.user, existing.pk):
            raise Http404("No such realm")
        if not self.model_admin.has_change_permission(request, existing):
            raise PermissionDenied
        # The file rewrites every account of the realm and maps admin roles anew.
        authority = permissions.of_console_user(request.user)
        try:
            permissions.check_replacement(
                authority,
                existing.pk,
                admin_roles_mapped(spec),
                changes_door=changes_admin_api_door(spec),
            )
        except permissions.Refused as error:
            raise PermissionDenied(str(error)) from None
        return existing

    def _confirm(self, request):
        spec = pending.take(request.user.pk, request.POST["confirm"])
        if spec is None:
            messages.error(request, "That preview has expired: upload the file again.")
            return HttpResponseRedirect(reverse("admin:accounts_realm_import"))
        existing = self._check_allowed(request, spec)
        administrators = list(existing.administrators.all()) if existing else []
        # What the file changes, against the realm as it is before the import.
        summary = preview(spec)
        spec, new_secrets = pending.with_fresh_secrets(spec)
        try:
            realm = import_realm(spec, overwrite=True)
        except RealmFileError as error:
            messages.error(request, f"Nothing was imported: {error}")
            return HttpResponseRedirect(reverse("admin:accounts_realm_import"))
        # The realm was created afresh: its administrators keep administering it.
        realm.administrators.add(*administrators)
        record(
            request,
            "ACTION",
            realm,
            details={
                "action": "import",
                "replaced": existing is not None,
                "changes": [change.__dict__ for change in summary.changes],
            },
        )
        messages.success(request, f"Realm {realm.name} imported.")
        if new_secrets:
            # The one time these secrets are shown: never in a message, which the session keeps.
            # The console's pages are never cached already (no-store).
            response = TemplateResponse(
                request,
                "admin/console/realm_import_secrets.html",
                self._context(
                    request,
                    title=f"Realm {realm.name} imported",
                    realm=realm,
                    new_secrets=new_secrets,
                ),
            )
            return response
        return HttpResponseRedirect(reverse("admin:accounts_realm_change", args=[realm.pk]))


def export_view(model_admin):
    def export(request, realm_id: int):
        realm = model_admin.get_queryset(request).filter(pk=realm_id).first()
        if realm is None or not model_admin.has_view_permission(request, realm):
            raise Http404("No such realm")
        try:
            permissions.check_export(permissions.of_console_user(request.user), realm.pk)
        except permissions.Refused as error:
            raise PermissionDenied(str(error)) from None
        body = exporter.dumps(exporter.export_realm(realm))
        record(request, "ACTION", realm, details={"action": "export"})
        response = HttpResponse(body, content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{realm.name}-realm.json"'
        response["Cache-Control"] = "no-store"
        return response

    return export
