# ruff: noqa: E501 - a table reads best one URL a line
"""The expected answer of every named URL to every role: data, written by hand.

One row per URL name (``django.urls.get_resolver()``), one column per role of
``giftplatform/roles.py`` plus anonymous. The requester lives in 福田 (portal users: the
supplier S001 / the service provider P001). A cell is the status for the three object
positions ``own/sibling/other_provider``:

- own: a row in 福田 with the own providers (for import jobs: the requester's own upload);
- sibling: the same kind of row in 南山 (for import jobs: the 南山 gift manager's upload);
- other_provider: a 福田 row whose provider is S002 / P002 (and for users: a portal user
  of S002).

A single status stands for every position that applies; ``-`` marks a position that does
not apply (a changelist has no object, a provider no branch). URLs without an object are
asked once. POST-only URLs get an empty POST (``url_cases.POST_ONLY``).

What the statuses mean: 200 (or 302 for a done action) allowed; 403 the role lacks the
permission, answered before any row is looked up; 404 the row is outside the user's scope
(the same as a missing row). Anonymous and portal users (not staff) are sent to the admin
sign-in page (302): that is Django's admin for anyone without ``is_staff``, and the
workbench follows it (``staff_member_required``). The portal (``portal:*``) is the
other way round: staff get 403, anonymous visitors go to the portal's own sign-in.
Django answers some pages of an object the user may not read with 404 before 403 (history pages look the row up first): a
sibling's row is still a 404 there, never a 403 that would tell it exists.

The provider sign-up page (``provider_signup``) is public: 200 for everyone.
The ``anon`` column is an anonymous client, ``supplier`` and ``service`` the portal users.
"""

ROLE_COLUMNS = (
    "platform_admin",
    "branch_admin",
    "gift_manager",
    "counter_staff",
    "approver",
    "auditor",
    "supplier_user",
    "service_provider_user",
    "anonymous",
)

TABLE = """
# url name                                       platform    branch      gift_mgr    counter     approver    auditor     supplier    service     anon
admin:app_list                                   200         200         200         200         200         200         302         302         302
admin:auth_group_add                             200         403         403         403         403         403         302         302         302
admin:auth_group_change                          200         200         403         403         403         200         302         302         302
admin:auth_group_changelist                      200         200         403         403         403         200         302         302         302
admin:auth_group_delete                          200         403         403         403         403         403         302         302         302
admin:auth_group_history                         200         200         403         403         403         200         302         302         302
admin:auth_user_password_change                  200/404/404 200/404/404 403         403         403         403         302         302         302
admin:autocomplete                               200         200         200         403         403         200         302         302         302
admin:axes_accessattempt_add                     403         403         403         403         403         403         302         302         302
admin:axes_accessattempt_change                  200         403         403         403         403         403         302         302         302
admin:axes_accessattempt_changelist              200         403         403         403         403         403         302         302         302
admin:axes_accessattempt_delete                  200         403         403         403         403         403         302         302         302
admin:axes_accessattempt_history                 200         403         403         403         403         403         302         302         302
admin:axes_accessfailurelog_add                  403         403         403         403         403         403         302         302         302
admin:axes_accessfailurelog_change               200         403         403         403         403         403         302         302         302
admin:axes_accessfailurelog_changelist           200         403         403         403         403         403         302         302         302
admin:axes_accessfailurelog_delete               403         403         403         403         403         403         302         302         302
admin:axes_accessfailurelog_history              200         403         403         403         403         403         302         302         302
admin:axes_accesslog_add                         403         403         403         403         403         403         302         302         302
admin:axes_accesslog_change                      200         403         403         403         403         403         302         302         302
admin:axes_accesslog_changelist                  200         403         403         403         403         403         302         302         302
admin:axes_accesslog_delete                      403         403         403         403         403         403         302         302         302
admin:axes_accesslog_history                     200         403         403         403         403         403         302         302         302
admin:distribution_batchrun_add                  302         403         302         403         403         403         302         302         302
admin:distribution_batchrun_approve              200/404/200 403/404/403 403/404/403 403/404/403 200/404/200 403/404/403 302         302         302
admin:distribution_batchrun_change               200/404/200 200/404/200 200/404/200 403/404/403 200/404/200 200/404/200 302         302         302
admin:distribution_batchrun_changelist           200         200         200         403         200         200         302         302         302
admin:distribution_batchrun_delete               403         403         403         403         403         403         302         302         302
admin:distribution_batchrun_history              200/404/200 200/404/200 200/404/200 403/404/403 200/404/200 200/404/200 302         302         302
admin:distribution_batchrun_reject               200/404/200 403/404/403 403/404/403 403/404/403 200/404/200 403/404/403 302         302         302
admin:distribution_batchrun_resume               302/404/302 403         302/404/302 403         403         403         302         302         302
admin:distribution_batchrun_start                200         403         200         403         403         403         302         302         302
admin:distribution_batchrun_stop                 302/404/302 403         302/404/302 403         403         403         302         302         302
admin:distribution_changerequest_add             403         403         403         403         403         403         302         302         302
admin:distribution_changerequest_approve         200/404/200 403/404/403 403/404/403 403/404/403 200/404/200 403/404/403 302         302         302
admin:distribution_changerequest_change          200/404/200 200/404/200 200/404/200 403/404/403 200/404/200 200/404/200 302         302         302
admin:distribution_changerequest_changelist      200         200         200         403         200         200         302         302         302
admin:distribution_changerequest_delete          403         403         403         403         403         403         302         302         302
admin:distribution_changerequest_history         200/404/200 200/404/200 200/404/200 403/404/403 200/404/200 200/404/200 302         302         302
admin:distribution_changerequest_reject          200/404/200 403/404/403 403/404/403 403/404/403 200/404/200 403/404/403 302         302         302
admin:distribution_changerequest_request_cash    200         403         200         403         403         403         302         302         302
admin:distribution_changerequest_withdraw        200/404/200 403/404/403 403/404/403 403/404/403 403/404/403 403/404/403 302         302         302
admin:distribution_distribution_add              403         403         403         403         403         403         302         302         302
admin:distribution_distribution_approve          200/404/200 403/404/403 403/404/403 403/404/403 200/404/200 403/404/403 302         302         302
admin:distribution_distribution_cancel           200/404/200 403/404/403 403/404/403 403/404/403 403/404/403 403/404/403 302         302         302
admin:distribution_distribution_change           200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 302         302         302
admin:distribution_distribution_changelist       200         200         200         200         200         200         302         302         302
admin:distribution_distribution_delete           403         403         403         403         403         403         302         302         302
admin:distribution_distribution_export           200         200         200         200         200         200         302         302         302
admin:distribution_distribution_history          200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 302         302         302
admin:distribution_distribution_mark_recovery    200/404/200 403/404/403 403/404/403 403/404/403 403/404/403 403/404/403 302         302         302
admin:distribution_distribution_reject           200/404/200 403/404/403 403/404/403 403/404/403 200/404/200 403/404/403 302         302         302
admin:distribution_quota_add                     200         403         200         403         403         403         302         302         302
admin:distribution_quota_change                  200/404/200 200/404/200 200/404/200 403/404/403 200/404/200 200/404/200 302         302         302
admin:distribution_quota_changelist              200         200         200         403         200         200         302         302         302
admin:distribution_quota_delete                  403         403         403         403         403         403         302         302         302
admin:distribution_quota_history                 200/404/200 200/404/200 200/404/200 403/404/403 200/404/200 200/404/200 302         302         302
admin:distribution_quota_permissions             200/404/200 403         403         403         403         403         302         302         302
admin:distribution_rule_add                      200         403         200         403         403         403         302         302         302
admin:distribution_rule_change                   200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 302         302         302
admin:distribution_rule_changelist               200         200         200         200         200         200         302         302         302
admin:distribution_rule_clone                    200/404/200 403/404/403 200/404/200 403/404/403 403/404/403 403/404/403 302         302         302
admin:distribution_rule_close                    200/404/200 403/404/403 200/404/200 403/404/403 403/404/403 403/404/403 302         302         302
admin:distribution_rule_delete                   403         403         403         403         403         403         302         302         302
admin:distribution_rule_history                  200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 302         302         302
admin:distribution_rule_new_version              200/404/200 403/404/403 200/404/200 403/404/403 403/404/403 403/404/403 302         302         302
admin:distribution_rule_pause                    200/404/200 403/404/403 200/404/200 403/404/403 403/404/403 403/404/403 302         302         302
admin:distribution_rule_permissions              200/404/200 403         403         403         403         403         302         302         302
admin:distribution_rule_resume                   200/404/200 403/404/403 200/404/200 403/404/403 403/404/403 403/404/403 302         302         302
admin:distribution_rule_simple_history           200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 302         302         302
admin:distribution_rule_submit                   200/404/200 403/404/403 200/404/200 403/404/403 403/404/403 403/404/403 302         302         302
admin:distribution_rule_test                     200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 302         302         302
admin:giftplatform_branch_add                    200         403         403         403         403         403         302         302         302
admin:giftplatform_branch_change                 200/404/-   200/404/-   200/404/-   403         403         200/404/-   302         302         302
admin:giftplatform_branch_changelist             200         200         200         403         403         200         302         302         302
admin:giftplatform_branch_delete                 200/404/-   403         403         403         403         403         302         302         302
admin:giftplatform_branch_history                200/404/-   200/404/-   200/404/-   403/404/-   403/404/-   200/404/-   302         302         302
admin:giftplatform_user_add                      200         200         403         403         403         403         302         302         302
admin:giftplatform_user_change                   200/404/404 200/404/404 403         403         403         200/404/404 302         302         302
admin:giftplatform_user_changelist               200         200         403         403         403         200         302         302         302
admin:giftplatform_user_delete                   200/404/404 403         403         403         403         403         302         302         302
admin:giftplatform_user_history                  200/404/404 200/404/404 403/404/404 403/404/404 403/404/404 200/404/404 302         302         302
admin:gifts_gift_add                             200         403         200         403         403         403         302         302         302
admin:gifts_gift_adjust                          200/404/200 403         200/404/200 403         403         403         302         302         302
admin:gifts_gift_change                          200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 302         302         302
admin:gifts_gift_changelist                      200         200         200         200         200         200         302         302         302
admin:gifts_gift_delete                          200/404/200 403         403         403         403         403         302         302         302
admin:gifts_gift_export                          200         200         200         200         200         200         302         302         302
admin:gifts_gift_history                         200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 302         302         302
admin:gifts_gift_import                          200         403         200         403         403         403         302         302         302
admin:gifts_gift_import_commit                   302/404/-   403         302/404/-   403         403         403         302         302         302
admin:gifts_gift_import_errors                   200/404/-   403         200/404/-   403         403         403         302         302         302
admin:gifts_gift_import_job                      200/404/-   403         200/404/-   403         403         403         302         302         302
admin:gifts_gift_import_template                 200         403         200         403         403         403         302         302         302
admin:gifts_gift_permissions                     200/404/200 403         403         403         403         403         302         302         302
admin:gifts_gift_receive                         200/404/200 403         200/404/200 403         403         403         302         302         302
admin:gifts_giftcategory_add                     200         403         200         403         403         403         302         302         302
admin:gifts_giftcategory_change                  200         200         200         200         200         200         302         302         302
admin:gifts_giftcategory_changelist              200         200         200         200         200         200         302         302         302
admin:gifts_giftcategory_delete                  200         403         403         403         403         403         302         302         302
admin:gifts_giftcategory_history                 200         200         200         200         200         200         302         302         302
admin:gifts_importjob_add                        403         403         403         403         403         403         302         302         302
admin:gifts_importjob_change                     200/404/-   200/404/-   200/404/-   403         403         200/404/-   302         302         302
admin:gifts_importjob_changelist                 200         200         200         403         403         200         302         302         302
admin:gifts_importjob_delete                     403         403         403         403         403         403         302         302         302
admin:gifts_importjob_history                    200/404/-   200/404/-   200/404/-   403/404/-   403/404/-   200/404/-   302         302         302
admin:gifts_stockmovement_add                    403         403         403         403         403         403         302         302         302
admin:gifts_stockmovement_change                 200/404/200 200/404/200 200/404/200 403         403         200/404/200 302         302         302
admin:gifts_stockmovement_changelist             200         200         200         403         403         200         302         302         302
admin:gifts_stockmovement_delete                 403         403         403         403         403         403         302         302         302
admin:gifts_stockmovement_export                 200         200         200         403         403         200         302         302         302
admin:gifts_stockmovement_history                200/404/200 200/404/200 200/404/200 403/404/403 403/404/403 200/404/200 302         302         302
admin:gifts_stockmovement_import                 200         403         200         403         403         403         302         302         302
admin:gifts_stockmovement_import_commit          302/404/-   403         302/404/-   403         403         403         302         302         302
admin:gifts_stockmovement_import_errors          200/404/-   403         200/404/-   403         403         403         302         302         302
admin:gifts_stockmovement_import_job             200/404/-   403         200/404/-   403         403         403         302         302         302
admin:gifts_stockmovement_import_template        200         403         200         403         403         403         302         302         302
admin:gifts_vouchercode_add                      200         403         200         403         403         403         302         302         302
admin:gifts_vouchercode_change                   200/404/200 200/404/200 200/404/200 403         403         200/404/200 302         302         302
admin:gifts_vouchercode_changelist               200         200         200         403         403         200         302         302         302
admin:gifts_vouchercode_delete                   200/404/200 403         403         403         403         403         302         302         302
admin:gifts_vouchercode_export                   200         200         200         403         403         200         302         302         302
admin:gifts_vouchercode_history                  200/404/200 200/404/200 200/404/200 403/404/403 403/404/403 200/404/200 302         302         302
admin:gifts_vouchercode_import                   200         403         200         403         403         403         302         302         302
admin:gifts_vouchercode_import_commit            302/404/-   403         302/404/-   403         403         403         302         302         302
admin:gifts_vouchercode_import_errors            200/404/-   403         200/404/-   403         403         403         302         302         302
admin:gifts_vouchercode_import_job               200/404/-   403         200/404/-   403         403         403         302         302         302
admin:gifts_vouchercode_import_template          200         403         200         403         403         403         302         302         302
admin:index                                      200         200         200         200         200         200         302         302         302
admin:jsi18n                                     200         200         200         200         200         200         302         302         302
admin:login                                      302         302         302         302         302         302         200         200         200
admin:logout                                     200         200         200         200         200         200         302         302         302
admin:password_change                            200         200         200         200         200         200         302         302         302
admin:password_change_done                       200         200         200         200         200         200         302         302         302
admin:policies_piireveal_add                     403         403         403         403         403         403         302         302         302
admin:policies_piireveal_change                  200/404/200 200/404/200 403         403         403         200/404/200 302         302         302
admin:policies_piireveal_changelist              200         200         403         403         403         200         302         302         302
admin:policies_piireveal_delete                  403         403         403         403         403         403         302         302         302
admin:policies_piireveal_history                 200/404/200 200/404/200 403/404/403 403/404/403 403/404/403 200/404/200 302         302         302
admin:policies_policy_add                        200         403         200         403         403         403         302         302         302
admin:policies_policy_change                     200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 302         302         302
admin:policies_policy_changelist                 200         200         200         200         200         200         302         302         302
admin:policies_policy_delete                     200/404/200 403         403         403         403         403         302         302         302
admin:policies_policy_export                     200         200         200         200         200         200         302         302         302
admin:policies_policy_history                    200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 302         302         302
admin:policies_policy_import                     200         403         200         403         403         403         302         302         302
admin:policies_policy_import_commit              302/404/-   403         302/404/-   403         403         403         302         302         302
admin:policies_policy_import_errors              200/404/-   403         200/404/-   403         403         403         302         302         302
admin:policies_policy_import_job                 200/404/-   403         200/404/-   403         403         403         302         302         302
admin:policies_policy_import_template            200         403         200         403         403         403         302         302         302
admin:policies_policy_reveal                     200/404/200 200/404/200 403         200/404/200 403         403         302         302         302
admin:suppliers_provider_add                     403         403         403         403         403         403         302         302         302
admin:suppliers_provider_change                  200         200         200         403         403         200         302         302         302
admin:suppliers_provider_changelist              200         200         200         403         403         200         302         302         302
admin:suppliers_provider_delete                  200         403         403         403         403         403         302         302         302
admin:suppliers_provider_history                 200         200         200         403         403         200         302         302         302
admin:suppliers_provider_import                  403         403         403         403         403         403         302         302         302
admin:suppliers_provider_import_commit           403         403         403         403         403         403         302         302         302
admin:suppliers_provider_import_errors           403         403         403         403         403         403         302         302         302
admin:suppliers_provider_import_job              403         403         403         403         403         403         302         302         302
admin:suppliers_provider_import_template         403         403         403         403         403         403         302         302         302
admin:suppliers_provider_permissions             200         403         403         403         403         403         302         302         302
admin:suppliers_serviceprovider_add              403         403         403         403         403         403         302         302         302
admin:suppliers_serviceprovider_change           200         200         200         403         403         200         302         302         302
admin:suppliers_serviceprovider_changelist       200         200         200         403         403         200         302         302         302
admin:suppliers_serviceprovider_delete           200         403         403         403         403         403         302         302         302
admin:suppliers_serviceprovider_history          200         200         200         403         403         200         302         302         302
admin:suppliers_serviceprovider_import           403         403         403         403         403         403         302         302         302
admin:suppliers_serviceprovider_import_commit    403         403         403         403         403         403         302         302         302
admin:suppliers_serviceprovider_import_errors    403         403         403         403         403         403         302         302         302
admin:suppliers_serviceprovider_import_job       403         403         403         403         403         403         302         302         302
admin:suppliers_serviceprovider_import_template  403         403         403         403         403         403         302         302         302
admin:suppliers_serviceprovider_permissions      200         403         403         403         403         403         302         302         302
admin:suppliers_provider_document                200/-/200   200/-/200   200/-/200   403         403         200/-/200   302         302         302
admin:suppliers_provider_export                  200         200         200         403         403         200         302         302         302
admin:suppliers_provider_portal_user_deactivate  403         403         403         403         403         403         302         302         302
admin:suppliers_provider_portal_user_password    403         403         403         403         403         403         302         302         302
admin:suppliers_provider_portal_users            403         403         403         403         403         403         302         302         302
admin:suppliers_providersignuprequest_add        403         403         403         403         403         403         302         302         302
admin:suppliers_providersignuprequest_approve    403         403         403         403         403         403         302         302         302
admin:suppliers_providersignuprequest_change     200         200         200         403         403         200         302         302         302
admin:suppliers_providersignuprequest_changelist 200         200         200         403         403         200         302         302         302
admin:suppliers_providersignuprequest_delete     403         403         403         403         403         403         302         302         302
admin:suppliers_providersignuprequest_history    200         200         200         403         403         200         302         302         302
admin:suppliers_providersignuprequest_reject     403         403         403         403         403         403         302         302         302
admin:suppliers_serviceprovider_export           200         200         200         403         403         200         302         302         302
admin:suppliers_supplier_export                  200         200         200         403         403         200         302         302         302
admin:suppliers_settlement_add                   403         403         403         403         403         403         302         302         302
admin:suppliers_settlement_change                404/-/404   404/-/404   404/-/404   404/-/404   404/-/404   404/-/404   302         302         302
admin:suppliers_settlement_changelist            200         200         200         403         403         200         302         302         302
admin:suppliers_settlement_delete                403         403         403         403         403         403         302         302         302
admin:suppliers_settlement_download              404/-/404   404/-/404   404/-/404   404/-/404   404/-/404   404/-/404   302         302         302
admin:suppliers_settlement_history               404/-/404   404/-/404   404/-/404   404/-/404   404/-/404   404/-/404   302         302         302
admin:suppliers_settlement_settle                404/-/404   404/-/404   404/-/404   404/-/404   404/-/404   404/-/404   302         302         302
admin:suppliers_supplier_add                     403         403         403         403         403         403         302         302         302
admin:suppliers_supplier_change                  200         200         200         403         403         200         302         302         302
admin:suppliers_supplier_changelist              200         200         200         403         403         200         302         302         302
admin:suppliers_supplier_delete                  200         403         403         403         403         403         302         302         302
admin:suppliers_supplier_history                 200         200         200         403         403         200         302         302         302
admin:suppliers_supplier_import                  403         403         403         403         403         403         302         302         302
admin:suppliers_supplier_import_commit           403         403         403         403         403         403         302         302         302
admin:suppliers_supplier_import_errors           403         403         403         403         403         403         302         302         302
admin:suppliers_supplier_import_job              403         403         403         403         403         403         302         302         302
admin:suppliers_supplier_import_template         403         403         403         403         403         403         302         302         302
admin:suppliers_supplier_permissions             200         403         403         403         403         403         302         302         302
admin:view_on_site                               404         404         404         404         404         404         302         302         302
audit                                            200         403         403         403         403         200         302         302         302
policies:reveal                                  200/404/200 200/404/200 403         200/404/200 403         403         302         302         302
portal:home                                      403         403         403         403         403         403         200         200         302
portal:login                                     200         200         200         200         200         200         200         200         200
portal:logout                                    302         302         302         302         302         302         302         302         302
portal:item                                      403         403         403         403         403         403         200/200/404 403         302
portal:outstanding                               403         403         403         403         403         403         200         403         302
portal:outstanding_export                        403         403         403         403         403         403         200         403         302
portal:shipment                                  403         403         403         403         403         403         200/200/404 403         302
portal:shipment_add                              403         403         403         403         403         403         200         403         302
portal:shipment_deliver                          403         403         403         403         403         403         302/302/404 403         302
portal:shipment_import                           403         403         403         403         403         403         200         403         302
portal:shipment_import_commit                    403         403         403         403         403         403         302         403         302
portal:shipment_import_template                  403         403         403         403         403         403         200         403         302
portal:shipments                                 403         403         403         403         403         403         200         403         302
portal:shipments_deliver                         403         403         403         403         403         403         302         403         302
portal:redemptions                               403         403         403         403         403         403         403         200         302
portal:redemptions_export                        403         403         403         403         403         403         403         200         302
portal:settlement_download                       403         403         403         403         403         403         200/-/404   404/-/404   302
portal:settlements                               403         403         403         403         403         403         200         200         302
portal:voucher_lookup                            403         403         403         403         403         403         403         200         302
portal:voucher_redeem                            403         403         403         403         403         403         403         200         302
provider_signup                                  200         200         200         200         200         200         200         200         200
stats:compliance                                 200         200         200         403         403         200         302         302         302
stats:compliance_cash_export                     200         200         200         403         403         200         302         302         302
stats:compliance_overuse_export                  200         200         200         403         403         200         302         302         302
stats:compliance_ratios_export                   200         200         200         403         403         200         302         302         302
stats:compliance_services_export                 200         200         200         403         403         200         302         302         302
stats:compliance_tax                             200         200         200         403         403         200         302         302         302
stats:compliance_tax_export                      200         200         200         403         403         200         302         302         302
stats:delivery_export                            200         200         200         403         403         200         302         302         302
stats:grouped                                    200         200         200         403         403         200         302         302         302
stats:grouped_export                             200         200         200         403         403         200         302         302         302
stats:low_stock_export                           200         200         200         403         403         200         302         302         302
stats:overdue_export                             200         200         200         403         403         200         302         302         302
stats:overview                                   200         200         200         403         403         200         302         302         302
stats:pools_export                               200         200         200         403         403         200         302         302         302
set_language                                     302         302         302         302         302         302         302         302         302
workbench:policy                                 200/404/200 403         403         200/404/200 403         403         302         302         302
workbench:receipt                                200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 200/404/200 302         302         302
workbench:search                                 200         403         403         200         403         403         302         302         302
"""


def parse(table: str) -> dict[str, dict[str, str]]:
    """URL name -> role -> cell, from ``TABLE``."""
    rows = {}
    for line in table.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, *cells = line.split()
        assert len(cells) == len(ROLE_COLUMNS), f"{name}: {len(cells)} cells"
        assert name not in rows, f"{name} twice"
        rows[name] = dict(zip(ROLE_COLUMNS, cells, strict=True))
    return rows


def statuses(cell: str) -> tuple[int | None, int | None, int | None] | int:
    """A cell as one status for every position, or (own, sibling, other_provider)."""
    if "/" not in cell:
        return int(cell)
    return tuple(None if part == "-" else int(part) for part in cell.split("/"))


EXPECTED = parse(TABLE)
