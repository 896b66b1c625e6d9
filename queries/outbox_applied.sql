-- name: outbox_applied
-- Whether an outbox action was applied already.
-- params: action_id
-- returns: action_id
SELECT action_id FROM applied_actions WHERE action_id = $action_id
