//! A minimal slab: values stored by index, freed slots reused so keys stay
//! small and dense. The event loop's keys are its mio tokens; the
//! completion server's are in each operation's `user_data`.

/// Values addressed by a reusable `usize` key.
#[derive(Debug)]
pub struct Slab<T> {
    slots: Vec<Option<T>>,
    /// The keys of the empty slots.
    free: Vec<usize>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slab<T> {
    /// Stores `value`, returning its key.
    pub fn insert(&mut self, value: T) -> usize {
        match self.free.pop() {
            Some(key) => {
                self.slots[key] = Some(value);
                key
            }
            None => {
                self.slots.push(Some(value));
                self.slots.len() - 1
            }
        }
    }

    /// The value at `key`, if present.
    pub fn get(&self, key: usize) -> Option<&T> {
        self.slots.get(key).and_then(Option::as_ref)
    }

    /// The value at `key`, if any (unknown keys are `None`, never a panic:
    /// readiness events may name a connection that was just closed).
    pub fn get_mut(&mut self, key: usize) -> Option<&mut T> {
        self.slots.get_mut(key).and_then(Option::as_mut)
    }

    /// The key the next [`insert`](Self::insert) will return.
    pub fn next_key(&self) -> usize {
        self.free.last().copied().unwrap_or(self.slots.len())
    }

    /// Removes and returns the value at `key`.
    pub fn remove(&mut self, key: usize) -> Option<T> {
        let value = self.slots.get_mut(key)?.take()?;
        self.free.push(key);
        Some(value)
    }

    /// Number of stored values.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every stored value with its key, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &T)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    }

    /// Keys of all stored values.
    pub fn keys(&self) -> Vec<usize> {
        self.iter().map(|(k, _)| k).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_reused_and_unknown_keys_are_none() {
        let mut s = Slab::default();
        let a = s.insert("a");
        let b = s.insert("b");
        assert_eq!(s.remove(a), Some("a"));
        assert_eq!(s.remove(a), None);
        assert_eq!(s.next_key(), a);
        assert_eq!(s.insert("c"), a);
        assert_eq!(s.get_mut(99), None);
        assert_eq!(s.len(), 2);
        assert_eq!(s.keys(), vec![a, b]);
        let all: Vec<(usize, &&str)> = s.iter().collect();
        assert_eq!(all, vec![(a, &"c"), (b, &"b")]);
    }
}
