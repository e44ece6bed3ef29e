-- The window's banner shows the highest marking in the workspace: read it from an index instead
-- of every action's JSON.
CREATE INDEX actions_marking ON actions(marking);

-- My work lists responses still owed. Partial indexes hold only the pending rows, so the lists
-- start from a few hundred entries instead of every assignment's JSON.
CREATE INDEX assignments_unacknowledged ON assignments(action_id) WHERE data->>'acknowledged' IS NULL;
CREATE INDEX assignments_concurrence_owed ON assignments(action_id) WHERE role = 'ocr' AND data->>'concurrence' IS NULL;
CREATE INDEX extensions_undecided ON extensions(action_id) WHERE data->>'decision' IS NULL;
