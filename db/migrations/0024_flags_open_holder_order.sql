-- The open flags of each holder set (holder_ods: the holder's sorted ODS codes) in the flags
-- list's order: the same keys as card_flags_open_order_idx (0013) after the set. A trust's,
-- sponsor's or LSA's page of open flags is the first flags of each of its few sets, merged,
-- each read off this index and stopping at the page's end; the sets themselves are found by
-- skipping through it, one probe a set. Through card_flags_holder_idx (GIN), every flag the
-- trust ever had, open or resolved, was read and sorted to keep 51.
CREATE INDEX "card_flags_open_holder_order_idx" ON "card_flags" USING btree ("holder_ods",(case "kind"
  when 'pin_blocked' then 0 when 'certificate_expired' then 1
  when 'foreign_certificate' then 2 when 'cancelled_card_in_use' then 2
  when 'suspended_card_in_use' then 2 when 'certificate_revoked' then 2
  when 'certificate_not_chaining' then 2 when 'certificates_differ' then 2
  when 'holder_differs' then 2 when 'return_due' then 3
  when 'unknown_card' then 3 when 'stock_card_in_use' then 3
  when 'pin_last_try' then 4 else 5 end),coalesce(("details" ->> 'notAfter'), '~'),"raised_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "card_flags"."resolved_at" is null;
