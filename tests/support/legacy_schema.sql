-- The original Patchwork's schema (API-CONTRACT.md §5, schema.sql of pinapelz/Patchwork-Flask),
-- for MariaDB. Kept as shipped except where it cannot be created as written: songs.video_id
-- is indexed before romanized refers to it, and views refers to songs in the same database
-- instead of the hard-coded `patchwork_archive`.
CREATE TABLE songs (
    video_id varchar(255) NOT NULL,
    title text NOT NULL,
    channel_name text NOT NULL,
    channel_id varchar(255) NOT NULL,
    upload_date text NOT NULL,
    description text NOT NULL,
    id int NOT NULL AUTO_INCREMENT,
    PRIMARY KEY (id),
    KEY video_id (video_id),
    KEY channel_id (channel_id)
);
CREATE TABLE romanized (
    id int NOT NULL AUTO_INCREMENT,
    video_id varchar(255) NOT NULL,
    romanized_title text,
    PRIMARY KEY (id),
    FOREIGN KEY (video_id) REFERENCES songs (video_id) ON DELETE CASCADE
);
CREATE TABLE channels (
    channel_id varchar(255) NOT NULL,
    channel_name text,
    romanized_name text,
    description text,
    PRIMARY KEY (channel_id)
);
CREATE TABLE files (
    video_id varchar(255) NOT NULL,
    size_mb float,
    extension varchar(32),
    PRIMARY KEY (video_id)
);
CREATE TABLE views (
    video_id varchar(255) NOT NULL,
    view_count int,
    PRIMARY KEY (video_id),
    FOREIGN KEY (video_id) REFERENCES songs (video_id)
);
CREATE TABLE archive_queue (
    id int NOT NULL AUTO_INCREMENT,
    url text NULL,
    mode int NULL,
    PRIMARY KEY (id)
);
CREATE TABLE archive_log (
    id int NOT NULL AUTO_INCREMENT,
    url text,
    user varchar(128),
    status text,
    timestamp text,
    PRIMARY KEY (id)
);
CREATE TABLE archive_queue_auth (
    id int NOT NULL AUTO_INCREMENT,
    token varchar(128) NULL,
    PRIMARY KEY (id)
);
CREATE TABLE archive_worker_auth (
    id int NOT NULL AUTO_INCREMENT,
    token varchar(128) NOT NULL,
    PRIMARY KEY (id),
    KEY token (token)
);
CREATE TABLE worker_status (
    id int NOT NULL,
    name text,
    token varchar(128),
    status text,
    timestamp text,
    PRIMARY KEY (id),
    FOREIGN KEY (token) REFERENCES archive_worker_auth (token)
);
CREATE TABLE kv (
    DATA varchar(255) NOT NULL,
    REFERENCE varchar(255),
    PRIMARY KEY (DATA)
);
