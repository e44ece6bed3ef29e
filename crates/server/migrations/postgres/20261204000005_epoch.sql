-- The server's epoch: a random id that changes when the server is restored from a backup
-- (`mandate-server admin restore` / `admin restored`). Desktops send the epoch they last saw;
-- a different one tells them the server went back in time, and they send and read everything
-- again instead of trusting cursors the server no longer matches.
ALTER TABLE counter ADD COLUMN epoch TEXT NOT NULL DEFAULT '';
UPDATE counter SET epoch = replace(gen_random_uuid()::text, '-', '');
