-- name: outbox_mark_applied
-- Records that an outbox action was applied (in the action's own transaction).
-- params: action_id, kind, actor, at
-- returns: (nothing)
INSERT INTO applied_actions VALUES ($action_id, $kind, $actor, $at)
