-- name: notify_group_sent
-- When each group (route, model) last had a message sent.
-- params: (none)
-- returns: route, model, last_sent_at
SELECT route, model, max(sent_at) AS last_sent_at
FROM notifications WHERE state = 'sent' AND model IS NOT NULL
GROUP BY route, model
