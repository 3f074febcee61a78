-- Goods rules staff set from the admin pages: an optional per-member limit per period (one pair
-- of slippers a quarter), and a low-stock threshold per good and corner.
ALTER TABLE goods ADD COLUMN limit_quantity INTEGER CHECK (limit_quantity IS NULL OR limit_quantity > 0);
ALTER TABLE goods ADD COLUMN limit_period TEXT
    CHECK (limit_period IS NULL OR limit_period IN ('month', 'quarter', 'year'));
ALTER TABLE stock ADD COLUMN low_threshold INTEGER NOT NULL DEFAULT 0 CHECK (low_threshold >= 0);
CREATE INDEX redemptions_member ON redemptions (member_id, created);
