package library

import "strconv"

// Key builders: every key of the library's tables is made here.
//
//	patrons:   pk patron#<customer number>  sk patron            the patron
//	           pk patron#<child>            sk guardian#<number> who answers for the child (or institution)
//	           pk patron#<guardian>         sk dependant#<child> the same link seen from the guardian
//	           pk prereg#<reference>        sk prereg            an uncollected pre-registration
//	loans:     pk patron#<customer number>  sk loan#<item id>    a current loan or reservation
//	           pk patron#<customer number>  sk fee#<fee id>      a fee
//	transfers: pk batch#<week>#<library>    sk item#<item id>    one unreturned item in a weekly file
//	statistics:pk stat#<YYYY-MM>#<library>  sk <group>#<age band>#<lang>#<gender>
const (
	SKPatron   = "patron"
	SKPrereg   = "prereg"
	skGuardian = "guardian#"
	skDepend   = "dependant#"
	skLoan     = "loan#"
	skFee      = "fee#"
)

// PatronPK is the partition of a patron and everything that is theirs.
func PatronPK(customerNumber string) string { return "patron#" + customerNumber }

// PreregPK is the partition of a pre-registration.
func PreregPK(reference string) string { return "prereg#" + reference }

// GuardianSK is the child's link to who answers for them.
func GuardianSK(guardian string) string { return skGuardian + guardian }

// DependantSK is the guardian's link to the child.
func DependantSK(child string) string { return skDepend + child }

// LoanSK is a loan or reservation of one item.
func LoanSK(itemID string) string { return skLoan + itemID }

// FeeSK is one fee.
func FeeSK(feeID string) string { return skFee + feeID }

// DueShard is the byDue partition an open loan of itemID goes to.
func DueShard(itemID string) string {
	h := uint32(2166136261)
	for i := 0; i < len(itemID); i++ {
		h = (h ^ uint32(itemID[i])) * 16777619
	}
	return "due#" + strconv.Itoa(int(h%DueShards))
}

// TransferPK is one week's file of one owning library.
func TransferPK(week, library string) string { return "batch#" + week + "#" + library }

// StatPK is one month's counts of one library.
func StatPK(month, library string) string { return "stat#" + month + "#" + library }
