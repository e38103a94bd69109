-- The UNIQUE (parent, ...) constraints already index parent as their leading
-- column, which serves List by parent and the foreign-key checks of deletes.
-- The separate (parent, name) indexes only cost every import a second write.
DROP INDEX registry.township_parent;
DROP INDEX registry.enterprise_parent;
DROP INDEX registry.production_line_parent;
DROP INDEX registry.process_parent;
DROP INDEX registry.equipment_parent;
DROP INDEX registry.meter_parent;
DROP INDEX registry.camera_parent;
DROP INDEX registry.vehicle_parent;
DROP INDEX registry.emission_total_parent;
