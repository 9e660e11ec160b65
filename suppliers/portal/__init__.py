"""The supplier / service-provider portal (/portal/): its own sign-in, pages and look.

Only portal users (``User.provider`` set, no branch) get in; staff are refused with 403
(they work in the admin and the workbench), anonymous visitors are sent to the portal's
own sign-in page. Every row a page shows goes through ``giftplatform.access``.
"""
